"""The figures behind every chart, as an API for a state's BI tools: `GET /api/v1/figures`,
`GET /api/v1/figures/{name}` (JSON) and `GET /api/v1/figures/{name}.csv`, filtered by
`school_year`, `fiscal_year`, `lea_id`, `lea_type` and `county`, with the marts' column names;
and `GET /api/v1/exports/618.csv` (the state's child count in the federal 618 layout).

Bearer tokens, the same authorisation as the pages: a district token reads its own LEAs' rows
(403 when a filter names another LEA), an auditor token the suppressed `shared` aggregates only
(403 for a figure without one), a state token everything. The 618 export is the state's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from sped.dashboards import exports, figures
from sped.dashboards import pages as dash_pages
from sped.dashboards.scope import FilterError, Filters, ScopeError
from sped.web.auth import ApiAccount, portal
from sped.web.routes.dashboards import scope_of, snapshot

router = APIRouter(prefix="/api/v1", tags=["figures"])
FigureName = Literal[
    "out_of_district",
    "proportionate_share",
    "monitoring_coverage",
    "child_find",
    "lre_environments",
    "submission_status",
    "spp_indicators",
    "significant_disproportionality",
]


class Problem(BaseModel):
    detail: str


class FigureRows(BaseModel):
    figure: str
    source: str
    columns: list[str]
    rows: list[dict[str, Any]]


class FigureInfo(BaseModel):
    name: str
    title: str
    mart: str
    shared: str


ERRORS = {
    401: {"model": Problem, "description": "No valid API token"},
    403: {"model": Problem, "description": "The account may not read these rows"},
    422: {"model": Problem, "description": "A filter is malformed"},
    404: {"model": Problem, "description": "No figures published yet"},
}


def api_filters(
    school_year: Annotated[str | None, Query(max_length=7, description="e.g. 2025-26")] = None,
    fiscal_year: Annotated[int | None, Query(ge=1990, le=2200, description="e.g. 2026")] = None,
    lea_id: Annotated[str | None, Query(max_length=32)] = None,
    lea_type: Annotated[str | None, Query(max_length=20)] = None,
    county: Annotated[str | None, Query(max_length=100)] = None,
) -> Filters:
    try:
        return Filters(
            school_year=school_year,
            fiscal_year=fiscal_year,
            lea_id=lea_id,
            lea_type=lea_type,
            county=county,
        )
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from None


ApiFilters = Annotated[Filters, Depends(api_filters)]


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _rows(request: Request, account, name: str, filters: Filters):
    with snapshot(portal(request)) as con:
        try:
            scope = scope_of(account)
            table = figures.table_for(con, figures.SOURCES[name], scope)
            rows = figures.figure(con, name, scope, filters)
        except ScopeError as exc:
            raise HTTPException(403, str(exc)) from None
    return table, rows


@router.get("/figures", responses=ERRORS)
def list_figures(account: ApiAccount) -> list[FigureInfo]:
    """The figures this API serves."""
    return [
        FigureInfo(name=s.name, title=s.title, mart=s.mart, shared=s.shared)
        for s in figures.SOURCES.values()
    ]


@router.get("/figures/{name}.csv", responses=ERRORS, response_class=Response)
def figure_csv(request: Request, name: FigureName, account: ApiAccount, filters: ApiFilters):
    """The same rows as CSV (formula injection neutralised)."""
    _, rows = _rows(request, account, name, filters)
    return Response(
        exports.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{exports.filename(name, "csv")}"'},
    )


@router.get("/figures/{name}", responses=ERRORS)
def figure_json(
    request: Request, name: FigureName, account: ApiAccount, filters: ApiFilters
) -> FigureRows:
    """The rows of one figure the token's account may read, with the marts' column names."""
    table, rows = _rows(request, account, name, filters)
    return FigureRows(
        figure=name,
        source=table,
        columns=rows.columns,
        rows=[{k: _json_value(v) for k, v in r.items()} for r in rows.iter_rows(named=True)],
    )


@router.get("/exports/618.csv", responses=ERRORS, response_class=Response)
def federal_618_csv(
    request: Request,
    account: ApiAccount,
    school_year: Annotated[str | None, Query(max_length=7)] = None,
):
    """The state's child count and educational environments in the column layout of the
    federal IDEA Section 618 state-level file (state accounts only)."""
    if account.role != "state":
        raise HTTPException(403, "The child count export is for the state team.")
    try:
        filters = Filters(school_year=school_year)
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from None
    p = portal(request)
    with snapshot(p) as con:
        year = filters.school_year or dash_pages.latest_school_year(con)
        if year is None:
            raise HTTPException(404, "No roster is published yet.")
        try:
            table = exports.federal_618(con, year, p.profile.state_name)
        except exports.LayoutGap as exc:
            raise HTTPException(422, str(exc)) from None
    name = exports.filename(f"childcount_and_educational_environments_{year}", "csv")
    return Response(
        exports.to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
