"""Each LEA's educational environments (LRE) for the state team: `/dashboards/lre/by-lea`, one
row per LEA with the share of its students in each environment (`sped.dashboards.lre_by_lea`),
found by name or id, narrowed by school year, age group, LEA type and county, 100 rows a page,
and the whole selection as CSV or XLSX (`/dashboards/lre/by-lea.csv`). The state team's page
(the marts' figures, as on the other dashboards); a district reads its own LEA's environments
on its figures page, auditors the suppressed aggregates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from sped.dashboards import figures, lre_by_lea
from sped.dashboards.page import Page
from sped.dashboards.scope import LEA_TYPES, Filters
from sped.web.auth import portal
from sped.web.pages import render
from sped.web.paging import paged
from sped.web.routes.dashboards import (
    TABS,
    PageFilters,
    StateAccount,
    scope_of,
    send_table,
    snapshot,
)

router = APIRouter(prefix="/dashboards/lre", include_in_schema=False)
AgeGroup = Annotated[str, Query(max_length=4)]
Search = Annotated[str, Query(max_length=100)]


def _table(request: Request, account, filters: Filters, age_group: str, lea: str):
    if age_group not in lre_by_lea.AGE_GROUPS:
        raise HTTPException(422, "age_group must be 6-21 or 3-5")
    with snapshot(portal(request)) as con:
        years = figures.school_years(con)
        year = filters.school_year or (years[-1] if years else None)
        chosen = Filters(school_year=year, lea_type=filters.lea_type, county=filters.county)
        table = lre_by_lea.by_lea(con, scope_of(account), chosen, age_group, lea)
        choices = {"school_years": years, "counties": figures.counties(con), "lea_types": LEA_TYPES}
    return table, year, choices


@router.get("/by-lea")
def by_lea_page(
    request: Request,
    account: StateAccount,
    filters: PageFilters,
    age_group: AgeGroup = "6-21",
    lea: Search = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    table, year, choices = _table(request, account, filters, age_group, lea)
    paging = paged(table.to_dicts(), page, request.query_params)
    return render(
        request,
        "dashboards/lre_by_lea.html",
        {
            "page": Page("lre", "Educational environments by LEA", "", [], year),
            "tabs": TABS,
            "query": paging.query,
            "filters": filters,
            "age_group": age_group,
            "age_groups": list(lre_by_lea.AGE_GROUPS),
            "lea": lea,
            "choices": choices,
            "environments": lre_by_lea.headings(age_group),
            "paging": paging,
        },
        account=account,
    )


@router.get("/by-lea.{fmt}")
def by_lea_download(
    request: Request,
    fmt: str,
    account: StateAccount,
    filters: PageFilters,
    age_group: AgeGroup = "6-21",
    lea: Search = "",
) -> Response:
    table, year, _ = _table(request, account, filters, age_group, lea)
    return send_table(table, f"lre_by_lea_{year}_ages_{age_group}", fmt)
