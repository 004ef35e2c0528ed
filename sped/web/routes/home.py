"""The landing page: each role starts where its work is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sped.web.auth import PageAccount, StateOrAuditor, portal
from sped.web.district_data import known_leas
from sped.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(account: PageAccount) -> Response:
    if account.role == "district" and len(account.lea_ids) == 1:
        return RedirectResponse(f"/district/{account.lea_ids[0]}", status_code=303)
    return RedirectResponse("/districts" if account.role != "district" else "/mine", 303)


@router.get("/mine")
def my_districts(request: Request, account: PageAccount) -> Response:
    names = known_leas(portal(request))
    leas = [(lea, names.get(lea, "")) for lea in account.lea_ids]
    return render(
        request, "districts.html", {"leas": leas, "title": "Your districts"}, account=account
    )


@router.get("/districts")
def districts(request: Request, account: StateOrAuditor) -> Response:
    leas = sorted(known_leas(portal(request)).items())
    return render(request, "districts.html", {"leas": leas, "title": "Districts"}, account=account)
