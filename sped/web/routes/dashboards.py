"""The analysts' dashboards (role `state`): overview, out-of-district, proportionate share,
monitoring, child find, LRE, the submission tracker and one LEA's page, each with filters
(school year, LEA type, county) and every table downloadable as CSV and XLSX; the state's child
count in the federal 618 layout; and the page assets (plotly.js from the plotly package, the
dashboards' own script and stylesheet) served by the application, never a CDN.

Routes are thin: `sped.dashboards.pages` builds each page from the published snapshot for the
account's scope; a download rebuilds the same page with the same filters and sends one table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import duckdb
import plotly
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response

from sped.contracts.labels import with_labels
from sped.dashboards import charts, exports, federal, figures, lea_search
from sped.dashboards import pages as dash_pages
from sped.dashboards.disproportionality_page import drill_options
from sped.dashboards.scope import LEA_TYPES, FilterError, Filters, Scope
from sped.federal import files as federal_files
from sped.landing.accounts import Account
from sped.web.auth import portal, require_role
from sped.web.pages import render
from sped.web.portal import Portal

router = APIRouter(prefix="/dashboards", include_in_schema=False)
StateAccount = Annotated[Account, Depends(require_role("state"))]
ASSETS = Path(__file__).resolve().parents[2] / "dashboards" / "static"
LEA_PATTERN = r"^[A-Za-z0-9_-]+$"
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": exports.XLSX_MEDIA_TYPE}
TABS = [
    ("overview", "Overview", "/dashboards"),
    ("out-of-district", "Out of district", "/dashboards/out-of-district"),
    ("proportionate-share", "Proportionate share", "/dashboards/proportionate-share"),
    ("monitoring", "Monitoring", "/dashboards/monitoring"),
    ("child-find", "Child find", "/dashboards/child-find"),
    ("lre", "LRE", "/dashboards/lre"),
    ("submissions", "Submissions", "/dashboards/submissions"),
    ("spp-indicators", "SPP 5 and 6", "/dashboards/spp-indicators"),
    ("disproportionality", "Disproportionality", "/dashboards/disproportionality"),
]


#: The portal's policy with one relaxation for the dashboards: plotly.js styles its charts by
#: inserting a stylesheet and style attributes, so styles may be inline here. Scripts stay
#: `'self'` only (the charts are JSON data blocks drawn by /dashboards/assets/dashboards.js).
CHART_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


def with_charts(response: Response) -> Response:
    """A page that draws plotly charts: the dashboards' content security policy."""
    response.headers["Content-Security-Policy"] = CHART_CSP
    return response


def scope_of(account: Account) -> Scope:
    """The figures an account may read: the state everything, a district its LEAs, an auditor
    the shared aggregates."""
    if account.role == "district":
        return Scope.district(account.lea_ids)
    if account.role == "auditor":
        return Scope.auditor()
    return Scope.state()


@contextmanager
def snapshot(p: Portal) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published snapshot, read-only, for one request. Before the first build there are no
    figures to find: 404 with a message that says so (not a server error)."""
    try:
        con = figures.snapshot(p.inst)
    except FileNotFoundError:
        raise HTTPException(
            404, "No figures are published yet: the pipeline has not built this installation."
        ) from None
    try:
        yield con
    finally:
        con.close()


def page_filters(
    school_year: str | None = Query(None, max_length=7),
    fiscal_year: str | None = Query(None, max_length=4),
    lea_type: str | None = Query(None, max_length=20),
    county: str | None = Query(None, max_length=100),
) -> Filters:
    """The filters of a dashboard page from its query string (empty fields mean none)."""
    try:
        fy = int(fiscal_year) if fiscal_year else None
    except ValueError:
        raise HTTPException(422, "fiscal_year must be a year such as 2026") from None
    try:
        return Filters(
            school_year=school_year or None,
            fiscal_year=fy,
            lea_type=lea_type or None,
            county=county or None,
        )
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from None


PageFilters = Annotated[Filters, Depends(page_filters)]


def build(p: Portal, slug: str, account: Account, filters: Filters, **options):
    if slug not in dash_pages.PAGES:
        raise HTTPException(404, "No such dashboard.")
    with snapshot(p) as con:
        try:
            page = dash_pages.PAGES[slug](
                con, scope_of(account), filters, state_name=p.profile.state_name, **options
            )
        except FilterError as exc:
            raise HTTPException(422, str(exc)) from None
        if filters.lea_type or filters.county:  # the heading says what is selected
            page.extra["selection"] = dash_pages.selection_label(filters, p.profile.state_name)
        choices = {
            "school_years": figures.school_years(con),
            "fiscal_years": figures.fiscal_years(con),
            "counties": figures.counties(con),
            "lea_types": LEA_TYPES,
        }
    return page, choices


def _query(request: Request) -> str:
    allowed = ("school_year", "fiscal_year", "lea_type", "county", "months", "lea_id", "category")
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in allowed and v]
    return urlencode(pairs)


def _page(request: Request, account: Account, page, filters: Filters, choices, **extra) -> Response:
    """A dashboard page: the page's charts and tables with its filters and tabs, plus `extra`
    context for the page's own parts."""
    return with_charts(
        render(
            request,
            "dashboards/page.html",
            {
                "page": page,
                "filters": filters,
                "choices": choices,
                "tabs": TABS,
                "query": _query(request),
                "plotly_version": plotly.__version__,
                **extra,
            },
            account=account,
        )
    )


def show(request: Request, account: Account, slug: str, filters: Filters, **options) -> Response:
    p = portal(request)
    page, choices = build(p, slug, account, filters, **options)
    published = figures.published_at(p.inst)
    return _page(
        request,
        account,
        page,
        filters,
        choices,
        published=dt.datetime.fromtimestamp(published, dt.UTC) if published else None,
    )


@router.get("")
def overview(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    return show(request, account, "overview", filters)


@router.get("/out-of-district")
def out_of_district(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    return show(request, account, "out-of-district", filters)


@router.get("/proportionate-share")
def proportionate_share(
    request: Request,
    account: StateAccount,
    filters: PageFilters,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
) -> Response:
    return show(request, account, "proportionate-share", filters, months=months)


@router.get("/monitoring")
def monitoring(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    return show(request, account, "monitoring", filters)


@router.get("/child-find")
def child_find(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    return show(request, account, "child-find", filters)


@router.get("/lre")
def lre(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    return show(request, account, "lre", filters)


@router.get("/spp-indicators")
def spp_indicators(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    return show(request, account, "spp-indicators", filters)


#: A drill-down of the disproportionality page: one LEA and one category.
DrillLea = Annotated[str | None, Query(max_length=32, pattern=LEA_PATTERN)]
DrillCategory = Annotated[str | None, Query(max_length=20)]


@router.get("/disproportionality")
def disproportionality(
    request: Request,
    account: StateAccount,
    filters: PageFilters,
    lea_id: DrillLea = None,
    category: DrillCategory = None,
) -> Response:
    return show(request, account, "disproportionality", filters, **drill_options(lea_id, category))


@router.get("/submissions")
def submissions(request: Request, account: StateAccount, filters: PageFilters) -> Response:
    p = portal(request)
    page, choices = build(p, "submissions", account, filters)
    latest = _latest_submissions(p)
    grid = page.charts[0].table
    cells: dict[str, dict[str, dict]] = {}
    for r in grid.iter_rows(named=True):
        r["latest_submission_id"] = latest.get((r["collection"], r["lea_id"], r["period"]))
        cells.setdefault(r["lea_id"], {})[r["collection"]] = r
    names = dict(zip(grid["lea_id"], grid["lea_name"], strict=True)) if grid.height else {}
    collections = sorted(grid["collection"].unique().to_list()) if grid.height else []
    return _page(
        request,
        account,
        page,
        filters,
        choices,
        tracker={"cells": cells, "names": names, "collections": collections},
        tracker_states=charts.TRACKER_STATES,
    )


def _latest_submissions(p: Portal) -> dict[tuple[str, str | None, str], int]:
    """The latest submission received for each (collection, LEA, period)."""
    with p.registry() as registry:
        subs = registry.submissions()
    latest: dict[tuple[str, str | None, str], int] = {}
    for s in subs:  # in submission id order: later ids were received later
        latest[(s.collection, s.lea_id, s.period)] = s.submission_id
    return latest


@router.get("/lea/{lea_id}")
def lea(
    request: Request,
    lea_id: Annotated[str, PathParam(max_length=32, pattern=LEA_PATTERN)],
    account: StateAccount,
    filters: PageFilters,
) -> Response:
    p = portal(request)
    with snapshot(p) as con:
        known = figures.leas(con, scope_of(account))
        if lea_id not in set(known["lea_id"].to_list()):
            raise HTTPException(404, f"No LEA {lea_id} in the state's directory.")
        page = dash_pages.lea(con, scope_of(account), filters, lea_id=lea_id)
    return with_charts(
        render(
            request,
            "dashboards/lea.html",
            {
                "page": page,
                "tabs": TABS,
                "plotly_version": plotly.__version__,
                "query": _query(request),
            },
            account=account,
        )
    )


@router.get("/lea/{lea_id}/download/{table_id}.{fmt}")
def lea_download(
    request: Request,
    lea_id: Annotated[str, PathParam(max_length=32, pattern=LEA_PATTERN)],
    table_id: str,
    fmt: str,
    account: StateAccount,
    filters: PageFilters,
) -> Response:
    p = portal(request)
    with snapshot(p) as con:
        page = dash_pages.lea(con, scope_of(account), filters, lea_id=lea_id)
    return send_table(page.table(table_id), f"{lea_id}_{table_id}", fmt)


@router.get("/{slug}/download/{table_id}.{fmt}")
def download(
    request: Request,
    slug: str,
    table_id: str,
    fmt: str,
    account: StateAccount,
    filters: PageFilters,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
    lea_id: DrillLea = None,
    category: DrillCategory = None,
) -> Response:
    options = {"months": months} if slug == "proportionate-share" else {}
    if slug == "disproportionality":
        options = drill_options(lea_id, category)
    page, _ = build(portal(request), slug, account, filters, **options)
    return send_table(page.table(table_id), table_id, fmt)


def send_table(table, stem: str, fmt: str) -> Response:
    """A table as a CSV or XLSX download, with the words of each code column beside it."""
    if table is None:
        raise HTTPException(404, "No such table on this page.")
    if fmt not in MEDIA:
        raise HTTPException(404, "Downloads are .csv or .xlsx.")
    table = with_labels(table)  # the words for each code column, beside it
    body = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table, stem)
    name = exports.filename(stem, fmt)
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/export/618.{fmt}")
def federal_618(
    request: Request, fmt: str, account: StateAccount, filters: PageFilters
) -> Response:
    """The state's child count and educational environments in the federal 618 layout."""
    p = portal(request)
    with snapshot(p) as con:
        year = filters.school_year or dash_pages.latest_school_year(con)
        if year is None:
            raise HTTPException(404, "No roster is published yet.")
        try:
            table = exports.federal_618(con, year, p.profile.state_name)
        except exports.LayoutGap as exc:
            raise HTTPException(422, str(exc)) from None
    return send_table(table, f"childcount_and_educational_environments_{year}", fmt)


@router.get("/federal/{code}/{level}.txt")
def federal_file(
    request: Request, code: str, level: str, account: StateAccount, filters: PageFilters
) -> Response:
    """An EDFacts child-count file (FS002, FS089; SEA or LEA) of the year, when its edit checks
    pass (sped/dashboards/federal.py; docs/federal_files.md). Never suppressed: state only."""
    if code not in ("FS002", "FS089") or level not in ("SEA", "LEA"):
        raise HTTPException(404, "No such federal file: FS002 or FS089, SEA or LEA.")
    p = portal(request)
    with snapshot(p) as con:
        year = filters.school_year or dash_pages.latest_school_year(con)
        if year is None:
            raise HTTPException(404, "No roster is published yet.")
        try:
            name, body = federal.file_bytes(
                con, code, level, year, p.profile.state_code, p.profile.state_fips
            )
        except federal_files.Refused as exc:
            raise HTTPException(
                409, f"The {code} file for {year} cannot be written: {exc}"
            ) from None
    return Response(
        body,
        media_type="text/plain; charset=us-ascii",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@cache
def _plotly_js(directory: Path) -> Path:
    return charts.write_plotlyjs(directory / f"plotly-{plotly.__version__}.min.js")


@router.get("/assets/{name}")
def asset(request: Request, name: str) -> Response:
    """plotly.js (written once per installation from the plotly package) and the dashboards'
    own script and stylesheet. Public, like the portal's /static."""
    week = {"Cache-Control": "public, max-age=604800"}
    if name == "plotly.min.js":
        path = _plotly_js(portal(request).inst.root / "web_assets")
        return FileResponse(path, media_type="text/javascript", headers=week)
    if name in ("dashboards.js", "dashboards.css"):
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(ASSETS / name, media_type=kind)
    raise HTTPException(404, "No such file.")


@router.get("/lea")
def lea_by_query(
    request: Request,
    account: StateAccount,
    lea_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The LEA picker's target: an LEA by its id or by (part of) its name. One match opens the
    LEA's page; several are listed to choose from; none says so."""
    wanted = (lea_id or "").strip()
    with snapshot(portal(request)) as con:
        leas = figures.leas(con, scope_of(account))
    matches = lea_search.find(leas, wanted)
    if len(matches) == 1:
        return RedirectResponse(f"/dashboards/lea/{matches[0][0]}", status_code=303)
    return render(
        request,
        "dashboards/lea_search.html",
        {"wanted": wanted, "matches": matches, "tabs": TABS, "query": ""},
        account=account,
        status_code=200 if matches else 404,
    )
