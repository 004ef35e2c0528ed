"""The auditors' pages (role `auditor`, and the state team): the data-quality reports behind
sign-in, the audit trail (filter by LEA, collection, period, event and date; export), the
lineage of a figure (an LEA's mart row back to the submissions in force it came from, with
checksums and arrival times), and the suppressed aggregates (`shared` tables) as tables.

Aggregates only: no page here shows a student-level row.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from sped.contracts import COLLECTIONS
from sped.contracts.labels import with_labels
from sped.dashboards import audit_trail, exports, figures, lineage
from sped.dashboards.scope import FilterError, Filters, Scope
from sped.privacy import auditor_view
from sped.warehouse.schema import has_table
from sped.web.auth import StateOrAuditor, portal
from sped.web.district_data import shared_totals
from sped.web.pages import render
from sped.web.paging import paged
from sped.web.report_frame import framed
from sped.web.routes.dashboards import LEA_PATTERN, snapshot

router = APIRouter(prefix="/auditors", include_in_schema=False)
REPORT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,120}\.html$")
LINEAGE_FIGURES = (
    "out_of_district",
    "lre_environments",
    "monitoring_coverage",
    "child_find",
    "proportionate_share",
    "submission_status",
)
SHARED_TABLES = ("out_of_district", "lre_environments")


@router.get("")
def index(request: Request, account: StateOrAuditor) -> Response:
    p = portal(request)
    reports = sorted(p.inst.reports_dir.joinpath("quality").glob("*.html"))
    return render(
        request,
        "auditors/index.html",
        {
            "reports": [r.name for r in reports],
            "figures": LINEAGE_FIGURES,
            "model_docs": (p.inst.reports_dir / "dbt_docs" / "index.html").is_file(),
        },
        account=account,
    )


@router.get("/reports/quality/{name}")
def quality_report(request: Request, name: str, account: StateOrAuditor) -> Response:
    """A data-quality report the pipeline wrote (reports/quality/), served behind sign-in."""
    if not REPORT_NAME.match(name) or ".." in name:
        raise HTTPException(404, "No such report.")
    path = portal(request).inst.reports_dir / "quality" / name
    if not path.is_file():
        raise HTTPException(404, "No such report: the pipeline writes them after each run.")
    title, body = framed(path.read_text(encoding="utf-8"))
    return render(request, "auditors/report.html", {"title": title, "body": body}, account=account)


#: The dbt documentation page is dbt's own single-file site, whose scripts and styles are inline:
#: it is served sandboxed (a unique origin: no cookie, no request to this application, no form),
#: with nothing loaded from anywhere.
MODEL_DOCS_CSP = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'"
)


@router.get("/model-docs")
def model_docs(request: Request, account: StateOrAuditor) -> Response:
    """The dbt documentation of the published warehouse (every model and column with the rule it
    implements, and the lineage graph), as `sped docs` exported it (reports/dbt_docs/)."""
    path = portal(request).inst.reports_dir / "dbt_docs" / "index.html"
    if not path.is_file():
        raise HTTPException(
            404,
            "The model documentation has not been exported yet: the state team exports it "
            "with sped docs after a pipeline run.",
        )
    return HTMLResponse(
        path.read_text(encoding="utf-8"), headers={"Content-Security-Policy": MODEL_DOCS_CSP}
    )


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name} must be a date such as 2026-11-01") from None


def _trail_filters(
    lea_id: str | None,
    collection: str | None,
    period: str | None,
    event: str | None,
    since: str | None,
    until: str | None,
) -> audit_trail.TrailFilters:
    return audit_trail.TrailFilters(
        lea_id=lea_id or None,
        collection=collection or None,
        period=period or None,
        event=event or None,
        since=_date(since, "since"),
        until=_date(until, "until"),
    )


Text = Annotated[str | None, Query(max_length=64)]


@router.get("/trail")
def trail(
    request: Request,
    account: StateOrAuditor,
    lea_id: Text = None,
    collection: Text = None,
    period: Text = None,
    event: Text = None,
    since: Text = None,
    until: Text = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The audit trail, newest first, a page of 100 entries at a time."""
    filters = _trail_filters(lea_id, collection, period, event, since, until)
    with portal(request).registry() as registry:
        rows = audit_trail.trail(registry, filters)
        kinds = audit_trail.event_kinds(registry)
    if account.role == "auditor":  # counts of students: sped/privacy/auditor_view.py
        rows = auditor_view.trail(rows, portal(request).profile.min_cell_size)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"])
    return render(
        request,
        "auditors/trail.html",
        {
            "paging": paged(list(rows.reverse().iter_rows(named=True)), page, request.query_params),
            "filters": filters,
            "kinds": kinds,
            "collections": list(COLLECTIONS),
            "query": query,
        },
        account=account,
    )


@router.get("/trail.{fmt}")
def trail_export(
    request: Request,
    fmt: str,
    account: StateOrAuditor,
    lea_id: Text = None,
    collection: Text = None,
    period: Text = None,
    event: Text = None,
    since: Text = None,
    until: Text = None,
) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Exports are .csv or .xlsx.")
    filters = _trail_filters(lea_id, collection, period, event, since, until)
    with portal(request).registry() as registry:
        rows = audit_trail.trail(registry, filters)
    if account.role == "auditor":  # counts of students: sped/privacy/auditor_view.py
        rows = auditor_view.trail(rows, portal(request).profile.min_cell_size)
    rows = with_labels(rows)
    body = exports.to_csv(rows) if fmt == "csv" else exports.to_xlsx(rows, "audit trail")
    media = "text/csv; charset=utf-8" if fmt == "csv" else exports.XLSX_MEDIA_TYPE
    name = exports.filename("audit_trail", fmt)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/lineage")
def lineage_page(
    request: Request,
    account: StateOrAuditor,
    figure: Annotated[str | None, Query(max_length=40)] = None,
    lea_id: Annotated[str | None, Query(max_length=32, pattern=LEA_PATTERN)] = None,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    """From an LEA's figure row to the submissions in force behind it."""
    context: dict = {
        "figures": LINEAGE_FIGURES,
        "figure_titles": {name: figures.SOURCES[name].title for name in LINEAGE_FIGURES},
        "figure": figure,
        "lea_id": lea_id,
        "period": period,
        "rows": None,
        "figure_rows": None,
    }
    if figure and lea_id and period:
        if figure not in LINEAGE_FIGURES:
            raise HTTPException(422, f"figure must be one of {', '.join(LINEAGE_FIGURES)}")
        try:
            filters = (
                Filters(lea_id=lea_id, fiscal_year=int(period))
                if figure == "proportionate_share"
                else Filters(lea_id=lea_id, school_year=period)
            )
        except (FilterError, ValueError):
            raise HTTPException(
                422, "period must be a school year (2025-26), or a fiscal year for the share"
            ) from None
        with snapshot(portal(request)) as con:
            context["rows"] = list(
                lineage.lineage(con, figure, lea_id, period).iter_rows(named=True)
            )
            if account.role == "auditor":  # rows used are students: sped/privacy/auditor_view
                context["rows"] = _lineage_for_auditor(
                    request, context["rows"], figure, lea_id, period
                )
            scope = Scope.state() if account.role == "state" else Scope.auditor()
            if has_table(con, figures.SOURCES[figure].shared) or scope.role == "state":
                row = figures.figure(con, figure, scope, filters)
                context["figure_rows"] = list(row.iter_rows(named=True))
    return render(request, "auditors/lineage.html", context, account=account)


def _lineage_for_auditor(
    request: Request, rows: list[dict], figure: str, lea_id: str, period: str
) -> list[dict]:
    """The lineage with each student-level input's row count under the suppression of the
    count it implies (for the share, the roster is that of the count's school year)."""
    p = portal(request)
    roster_year = (
        lineage.count_school_year(int(period)) if figure == "proportionate_share" else period
    )
    return auditor_view.lineage_rows(
        rows, lea_id, roster_year, p.profile.min_cell_size, shared_totals(p)
    )


@router.get("/aggregates/{name}")
def aggregates(
    request: Request,
    name: str,
    account: StateOrAuditor,
    lea: Annotated[str | None, Query(max_length=100)] = None,
    school_year: Annotated[str | None, Query(max_length=7)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """A suppressed shared table as a page (what auditors may see of the figures), filtered
    by LEA (name or id) and school year, a page of 100 rows at a time."""
    if name not in SHARED_TABLES:
        raise HTTPException(404, "No such shared table.")
    try:
        filters = Filters(school_year=school_year or None)
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from None
    with snapshot(portal(request)) as con:
        rows = figures.figure(con, name, Scope.auditor(), filters)
        years = figures.school_years(con)
        names = figures.leas(con, Scope.state()).select("lea_id", "lea_name")
    rows = names.join(rows, on="lea_id", how="right").select("lea_name", *[c for c in rows.columns])
    if lea:
        wanted = lea.strip().lower()
        rows = rows.filter(
            (pl.col("lea_id").str.to_lowercase() == wanted)
            | pl.col("lea_name").str.to_lowercase().str.contains(wanted, literal=True)
        )
    return render(
        request,
        "auditors/aggregates.html",
        {
            "name": name,
            "title": figures.SOURCES[name].title,
            "columns": rows.columns,
            "paging": paged(list(rows.iter_rows(named=True)), page, request.query_params),
            "lea": lea or "",
            "school_year": school_year or "",
            "years": years,
        },
        account=account,
    )
