"""The application factory: `create_app(installation, profile)` for `sped serve` and the tests.

Middleware, outermost first: the client's address and scheme from trusted proxies only
(sped/web/proxies.py), a request-body limit (413 past the upload limit, before anything is
parsed), security headers, `Secure` cookies over HTTPS, and the signed cookie holding the
server-side session's token. Errors are answered in the caller's
terms: JSON `{"detail": ...}` under /api, a plain page elsewhere; never a stack trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartParser
from starlette.middleware.sessions import SessionMiddleware

from sped.config.profile import load_profile
from sped.config.settings import Installation
from sped.web import auth
from sped.web.limits import BodyLimit, SecurityHeaders
from sped.web.portal import DEFAULT_MAX_UPLOAD, HERE, Portal
from sped.web.proxies import SecureCookies, TrustedProxies, trusted_networks

log = logging.getLogger("sped.web")
SECRET_FILE = "web_session.key"


def session_secret(inst: Installation) -> str:
    """The key that signs session cookies: made once per installation, kept 0600 beside it."""
    path = inst.root / SECRET_FILE
    if not path.exists():
        inst.create()
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(
    inst: Installation,
    profile_path: Path | None = None,
    *,
    max_upload_bytes: int | None = None,
    as_of: str | None = None,
    start_pipeline: bool = True,
    secure_cookies: bool = False,
    warm_up: bool = True,
    forwarded_allow_ips: str | None = None,
) -> FastAPI:
    """The web application of one installation. `start_pipeline` False leaves loading to the
    operator (tests); `secure_cookies` True when served only over HTTPS (`--https-only`; the
    cookie is also Secure on any request that came over HTTPS); `forwarded_allow_ips` the
    proxies whose X-Forwarded-For/-Proto are believed; `warm_up` starts the validation suites
    in the background at once, so the first upload is as fast as the next."""
    from sped.web.pipeline_trigger import PipelineRunner
    from sped.web.routes import (
        accounts_admin,
        accounts_api,
        api,
        api_docs,
        auditors,
        dashboards,
        dashboards_api,
        district,
        home,
        lre_by_lea,
        public,
        signin,
        templates,
    )

    inst.create()
    profile = load_profile(profile_path)
    if max_upload_bytes is None:  # the web's own bound, never above the profile's file limit
        max_upload_bytes = min(DEFAULT_MAX_UPLOAD, profile.limits.max_file_bytes)
    portal = Portal(
        inst=inst,
        profile=profile,
        profile_path=profile_path,
        max_upload_bytes=max_upload_bytes,
        as_of=as_of,
    )
    portal.runner = PipelineRunner(inst, profile_path, as_of=as_of, enabled=start_pipeline)
    # uploads are held in memory up to the limit: no spooled copy in the system temp folder
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, max_upload_bytes + 1)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await asyncio.to_thread(portal.runner.close)  # the warm worker ends with the server

    app = FastAPI(
        lifespan=lifespan,
        title="sped-placements",
        summary="District submissions of special-education placement data (IDEA Part B)",
        version="1",
        docs_url=None,
        redoc_url=None,
    )
    app.state.portal = portal
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(inst),
        session_cookie="sped_session",
        max_age=auth.SESSION_HOURS * 3600,
        same_site="strict",
        https_only=secure_cookies,
    )
    app.add_middleware(SecureCookies, always=secure_cookies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=max_upload_bytes + 64 * 1024)
    app.add_middleware(TrustedProxies, networks=trusted_networks(forwarded_allow_ips))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (
        accounts_admin,
        accounts_api,
        home,
        signin,
        district,
        templates,
        api,
        api_docs,
        dashboards,
        lre_by_lea,
        dashboards_api,
        auditors,
    ):
        app.include_router(module.router)
    app.include_router(public.router)  # the public LEA reports, without sign-in
    _install_error_handlers(app)
    if warm_up:
        from sped.web.uploads import start_warm_up

        start_warm_up(portal)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.SignInRequired)
    async def to_signin(request: Request, _exc: auth.SignInRequired) -> Response:
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and the router's own (404, 405)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return _error_page(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        message = "The request is incomplete or malformed: " + "; ".join(problems)
        if _wants_json(request):
            return JSONResponse({"detail": message, "problems": problems}, status_code=422)
        return _error_page(request, 422, message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        message = "Something went wrong on our side. The state team has been told; try again."
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return _error_page(request, 500, message)


def _error_page(
    request: Request, status: int, message: str, headers: dict | None = None
) -> HTMLResponse:
    from sped.web.pages import render

    account = getattr(request.state, "account", None)
    page = render(
        request,
        "error.html",
        {"status": status, "message": message},
        account=account,
        status_code=status,
    )
    for key, value in (headers or {}).items():
        page.headers[key] = value
    return page
