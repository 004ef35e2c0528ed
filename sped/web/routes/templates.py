"""Blank upload templates (CSV and XLSX, as generated from the contracts into docs/templates/)
and the data dictionary of each collection, rendered from the contracts themselves."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from sped.config.settings import REPO_ROOT
from sped.contracts import COLLECTIONS
from sped.web.auth import PageAccount
from sped.web.pages import render

router = APIRouter(include_in_schema=False)
TEMPLATE_DIR = REPO_ROOT / "docs" / "templates"
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _visible(account) -> list:
    """District users see the collections they send; the state and auditors see all."""
    return [c for c in COLLECTIONS.values() if account.role != "district" or c.lea_scoped]


@router.get("/templates")
def templates(request: Request, account: PageAccount) -> Response:
    return render(request, "templates.html", {"collections": _visible(account)}, account=account)


@router.get("/templates/{collection}.{kind}")
def template_file(collection: str, kind: str, account: PageAccount) -> Response:
    if collection not in COLLECTIONS or kind not in MEDIA:
        raise HTTPException(404, "There is no such template.")
    path = TEMPLATE_DIR / f"{collection}.{kind}"
    if not path.is_file():
        raise HTTPException(404, "There is no such template.")
    return FileResponse(path, media_type=MEDIA[kind], filename=f"{collection}_template.{kind}")


@router.get("/dictionary/{collection}")
def dictionary(request: Request, collection: str, account: PageAccount) -> Response:
    if collection not in COLLECTIONS:
        raise HTTPException(404, "There is no such collection.")
    return render(request, "dictionary.html", {"c": COLLECTIONS[collection]}, account=account)
