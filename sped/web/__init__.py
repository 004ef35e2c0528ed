"""The web application: sign-in, the district pages and the HTTP API (FastAPI, Jinja2, uvicorn).

Layout: `app.py` builds the application for one installation; `auth.py` holds sessions, CSRF
and the role checks every route depends on; `routes/` has one module per area; `templates/`
and `static/` are the pages and their stylesheet (served from here, no CDN).
"""
