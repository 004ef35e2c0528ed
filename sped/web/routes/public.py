"""The public LEA reports, without sign-in (34 CFR 300.602(b)(1)(i)(A)): `/public/` lists the
LEAs and `/public/leas/{lea_id}` shows one LEA's SPP/APR Indicators 5 and 6 for each school year
in force, against the state's targets and the state's figure (docs/rules/spp_indicators.md).

Everything shown comes from the suppressed `shared.shr_spp_indicators` (`sped.dashboards.
spp_public`); nothing else of the application is reachable without signing in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from sped.dashboards import spp_public
from sped.web.auth import portal
from sped.web.pages import render
from sped.web.routes.dashboards import LEA_PATTERN, snapshot

router = APIRouter(prefix="/public", include_in_schema=False)


@router.get("")
def public_root() -> Response:
    return RedirectResponse("/public/", status_code=307)


@router.get("/")
def public_leas(request: Request) -> Response:
    p = portal(request)
    with snapshot(p) as con:
        leas = spp_public.leas(con)
    return render(
        request,
        "public/leas.html",
        {"leas": leas, "state_name": p.profile.state_name, "min_cell": p.profile.min_cell_size},
    )


@router.get("/leas/{lea_id}")
def public_lea(
    request: Request, lea_id: Annotated[str, PathParam(max_length=32, pattern=LEA_PATTERN)]
) -> Response:
    p = portal(request)
    with snapshot(p) as con:
        names = dict(spp_public.leas(con))
        if lea_id not in names:
            raise HTTPException(404, f"No public report for LEA {lea_id}.")
        years = spp_public.report(con, lea_id)
    return render(
        request,
        "public/lea.html",
        {
            "lea_id": lea_id,
            "name": names[lea_id],
            "years": years,
            "min_cell": p.profile.min_cell_size,
        },
    )
