"""One module per area of the web application, each an APIRouter included by `app.py`."""
