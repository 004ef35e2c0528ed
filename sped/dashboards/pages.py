"""Each dashboard page as data: its charts (with the table behind each) for a scope and filters,
built from `figures` and `charts`. The web routes render a `Page` (`sped.dashboards.page`) and
serve downloads of its tables, so a chart, its download and the API read the same rows; the
benchmark times these functions (each page's data and figures).

Pages: overview, out_of_district, proportionate_share, monitoring, child_find, lre, submissions,
lea (one LEA with all its figures), the SPP/APR indicators (`spp_page`) and significant
disproportionality (`disproportionality_page`).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import polars as pl

from sped.contracts.labels import label
from sped.dashboards import (
    charts,
    disproportionality_page,
    federal,
    figures,
    headlines,
    outliers,
    spp_page,
    trends,
)
from sped.dashboards.page import Page
from sped.dashboards.scope import FilterError, Filters, Scope

#: the environments followed over the years (the LRE page, the LEA page)
LRE_TRENDS = ["regular_class_80_rate", "separate_settings_rate", "regular_early_childhood_rate"]


def latest_school_year(con: duckdb.DuckDBPyConnection) -> str | None:
    years = figures.school_years(con)
    return years[-1] if years else None


def _year(con: duckdb.DuckDBPyConnection, filters: Filters) -> str:
    year = filters.school_year or latest_school_year(con)
    if year is None:
        raise FilterError("no school year has figures yet: run the pipeline first")
    return year


def _group(filters: Filters) -> Filters:
    """The LEA type and county filters alone (trend charts keep every year)."""
    return Filters(lea_type=filters.lea_type, county=filters.county, lea_id=filters.lea_id)


def selection_label(filters: Filters, state_name: str) -> str:
    """What the page shows, in words: the state, or the LEAs its filters select ("Charter
    schools in Suffolk county")."""
    if not (filters.lea_type or filters.county):
        return state_name
    kind = label("lea_type", filters.lea_type) + "s" if filters.lea_type else "LEAs"
    return f"{kind} in {filters.county} county" if filters.county else kind


def overview(con, scope: Scope, filters: Filters, *, state_name: str = "The state") -> Page:
    year = _year(con, filters)
    items = headlines.headlines(con, scope, year, _group(filters))
    who = selection_label(filters, state_name)
    chart = trends.selection_chart(
        con,
        scope,
        filters,
        "overview-trend",
        f"{who}: the headline rates over the years",
        ["ood_rate", "indicator_5c_rate", "coverage_rate", "timely_rate"],
        who,
    )
    return Page(
        "overview",
        "Overview",
        f"{who}: headline figures for {year}, each with the change from the year before and a "
        "link to its page, and the rates over every school year.",
        [chart],
        year,
        extra={
            "headlines": items,
            "federal_files": federal.federal_files(con, year) if scope.role == "state" else [],
        },
    )


def out_of_district(con, scope: Scope, filters: Filters, **_) -> Page:
    year = _year(con, filters)
    leas = figures.leas(con, scope)
    rows = figures.out_of_district(
        con, scope, Filters(school_year=year, lea_type=filters.lea_type, county=filters.county)
    )
    every_year = figures.out_of_district(con, scope, _group(filters))
    ranking = charts.ood_ranking(rows, leas, year)
    flagged = ranking.table.filter(pl.col("outlier_flag").is_in(["HIGH", "LOW"]))
    return Page(
        "out-of-district",
        "Out-of-district placements",
        "Students the LEA placed outside its own programs, over the LEA's roster (the LEA stays "
        "responsible and counts them). LEAs far from the state rate are flagged by the funnel "
        "plot method below.",
        [
            charts.ood_distribution(rows, year),
            ranking,
            charts.ood_funnel(rows, leas, year),
            charts.ood_trend(every_year),
            charts.ood_by_placement_type(every_year),
            charts.ood_approval(every_year),
            charts.ood_in_out_of_state(every_year),
            charts.indicator_5c(rows, leas, year),
        ],
        year,
        tables={
            "outliers": flagged.select(
                "lea_id",
                "lea_name",
                "school_year",
                "students",
                "ood_students",
                "ood_rate",
                "state_ood_rate",
                "lower_limit",
                "upper_limit",
                "outlier_flag",
            )
        },
        extra={"method": outliers.METHOD},
    )


def proportionate_share(
    con, scope: Scope, filters: Filters, *, months: int = 12, state_name: str = "The state", **_
) -> Page:
    leas = figures.leas(con, scope)
    group = Filters(
        lea_type=filters.lea_type,
        county=filters.county,
        lea_id=filters.lea_id,
        fiscal_year=filters.fiscal_year,
    )
    rows = figures.proportionate_share(con, scope, group)
    every_year = figures.proportionate_share(con, scope, _group(filters))
    label = f"FY {filters.fiscal_year}" if filters.fiscal_year else "every fiscal year"
    paid = ["spent_611_next_grant", "spent_619_next_grant"]  # absent from snapshots before them
    next_grant = (
        rows.filter((pl.col(paid[0]) + pl.col(paid[1])) > 0)
        if set(paid) <= set(rows.columns)
        else rows.clear().with_columns(pl.lit(0.0).alias(c) for c in paid)
    ).join(leas.select("lea_id", "lea_name"), on="lea_id", how="left")
    return Page(
        "proportionate-share",
        "Proportionate share",
        "Each LEA's required share of its IDEA Part B 611 and 619 subgrants for parentally "
        "placed private-school children (34 CFR 300.133), what it has spent in the initial "
        f"period and the carryover year, and where it stands ({label}).",
        [
            charts.share_required_vs_spent(rows, leas, "611"),
            charts.share_required_vs_spent(rows, leas, "619"),
            charts.share_shortfalls(rows, leas),
            charts.share_carryover_ending(rows, leas, months),
            charts.share_state_totals(every_year),
            trends.selection_chart(
                con,
                scope,
                filters,
                "share-trend",
                "Share of the obligation spent, every fiscal year",
                ["share_spent_rate"],
                selection_label(filters, state_name),
            ),
        ],
        tables={
            "proportionate-share": rows,
            "paid-from-next-grant": next_grant.select("lea_id", "lea_name", "fiscal_year", *paid),
        },
        extra={"months": months},
    )


def monitoring(con, scope: Scope, filters: Filters, *, state_name: str = "The state", **_) -> Page:
    year = _year(con, filters)
    leas = figures.leas(con, scope)
    f = Filters(school_year=year, lea_type=filters.lea_type, county=filters.county)
    rows = figures.monitoring_coverage(con, scope, f)
    tables = {"monitoring-coverage": rows}
    if scope.role != "auditor":
        tables["students-missing"] = figures.monitoring_gaps(con, scope, f)
    return Page(
        "monitoring",
        "Monitoring coverage",
        "Every student placed out of district needs a monitoring plan and monitoring by district "
        "staff or a contracted monitor (603 CMR 28.06(3)(b)); the target is 100%.",
        [
            charts.monitoring_coverage(rows, leas, year),
            charts.monitoring_missing(rows, leas, year),
            trends.selection_chart(
                con,
                scope,
                filters,
                "monitoring-trend",
                "Monitoring coverage over the years",
                ["coverage_rate"],
                selection_label(filters, state_name),
            ),
        ],
        year,
        tables=tables,
    )


def child_find(con, scope: Scope, filters: Filters, *, state_name: str = "The state", **_) -> Page:
    year = _year(con, filters)
    leas = figures.leas(con, scope)
    f = Filters(school_year=year, lea_type=filters.lea_type, county=filters.county)
    rows = figures.child_find(con, scope, f)
    return Page(
        "child-find",
        "Child find",
        "Parentally placed private-school children referred, evaluated, found eligible and "
        "served, and how quickly evaluations follow consent (34 CFR 300.131-132).",
        [
            charts.child_find_funnel(rows, year),
            charts.child_find_timeliness(rows, leas, year),
            trends.selection_chart(
                con,
                scope,
                filters,
                "child-find-trend",
                "Evaluations on time over the years",
                ["timely_rate"],
                selection_label(filters, state_name),
            ),
            trends.selection_chart(
                con,
                scope,
                filters,
                "child-find-counts-trend",
                "Children referred, found eligible and served over the years",
                ["referred", "determined_eligible", "served"],
                selection_label(filters, state_name),
            ),
        ],
        year,
        tables={"child-find": rows},
    )


def lre(con, scope: Scope, filters: Filters, *, state_name: str = "The state", **_) -> Page:
    year = _year(con, filters)
    nation = figures.national_lre(con)
    if filters.lea_type or filters.county:
        rows = figures.lre_environments(
            con, scope, Filters(school_year=year, lea_type=filters.lea_type, county=filters.county)
        )
    else:
        rows = figures.lre_environments(con, scope, Filters(school_year=year, lea_id="STATE"))
    label = selection_label(filters, state_name)
    source = nation["source"][0] if nation.height else None
    return Page(
        "lre",
        "Educational environments (LRE)",
        f"Where students with IEPs are educated, {year}: {label} against the nation.",
        [
            charts.lre_vs_nation(rows, nation, "6-21", label),
            charts.lre_vs_nation(rows, nation, "3-5", label),
            trends.selection_chart(
                con,
                scope,
                filters,
                "lre-trend",
                "Educational environments over the years",
                LRE_TRENDS,
                label,
            ),
            *(federal.lre_breakdown_charts(con, year) if scope.role == "state" else []),
        ],
        year,
        tables={"lre-environments": rows},
        extra={"source": source},
    )


def submissions(con, scope: Scope, filters: Filters, **_) -> Page:
    year = _year(con, filters)
    leas = figures.leas(con, scope)
    fy = headlines.fiscal_year_of(year)
    rows = figures.submission_status(
        con,
        scope,
        Filters(school_year=year, fiscal_year=fy, lea_type=filters.lea_type, county=filters.county),
    )
    chart = charts.submission_tracker(rows, leas, f"{year} (expenditures FY {fy})")
    return Page(
        "submissions",
        "Submission tracker",
        f"Each LEA's district collections for {year} (expenditures for FY {fy}): in force, late, "
        "rejected, missing or overdue. A cell opens the latest file and its messages.",
        [chart],
        year,
        tables={"submission-status": chart.table},
    )


def lea(con, scope: Scope, filters: Filters, *, lea_id: str, **_) -> Page:
    """One LEA with all of its figures, every year."""
    scope.check_lea(lea_id)
    f = Filters(lea_id=lea_id)
    directory = figures.leas(con, scope).filter(pl.col("lea_id") == lea_id)
    name = directory["lea_name"][0] if directory.height else lea_id
    year = filters.school_year or latest_school_year(con)
    ood = figures.out_of_district(con, scope, f)
    share = figures.proportionate_share(con, scope, f)
    lre_rows = figures.lre_environments(con, scope, Filters(lea_id=lea_id, school_year=year))
    state_lre = (
        figures.lre_environments(
            con,
            Scope.state() if scope.role == "state" else scope,
            Filters(lea_id="STATE", school_year=year),
        )
        if scope.role != "district"
        else pl.DataFrame()
    )
    tables = {
        "lea-out-of-district": ood,
        "lea-proportionate-share": share,
        "lea-monitoring": figures.monitoring_coverage(con, scope, f),
        "lea-child-find": figures.child_find(con, scope, f),
        "lea-submissions": figures.submission_status(con, scope, f),
    }
    peers = trends.peers_for(con, scope, lea_id)

    def over_years(chart_id: str, title: str, keys: list[str]) -> charts.Chart:
        return trends.lea_chart(con, scope, lea_id, name, peers, chart_id, title, keys)

    page_charts = [
        over_years(
            "lea-ood",
            "out-of-district rate and Indicator 5C over the years",
            ["ood_rate", "indicator_5c_rate"],
        ),
        charts.lea_share(share, name),
        over_years(
            "lea-share-trend", "share of the obligation spent over the years", ["share_spent_rate"]
        ),
    ]
    if state_lre.height:
        page_charts += charts.lea_lre(lre_rows, state_lre, name, year)
    page_charts += [
        over_years("lea-lre-trend", "educational environments over the years", LRE_TRENDS),
        over_years("lea-monitoring-trend", "monitoring coverage over the years",
                   ["coverage_rate"]),
        over_years("lea-child-find-trend", "child find evaluations on time over the years",
                   ["timely_rate"]),
        over_years("lea-child-find-counts", "children referred, found eligible and served",
                   ["referred", "determined_eligible", "served"]),
    ]  # fmt: skip
    return Page(
        "lea",
        name,
        f"LEA {lea_id}: every figure the warehouse holds for it, every year.",
        page_charts,
        year,
        tables=tables,
        extra={"lea_id": lea_id, "directory": directory},
    )


PAGES: dict[str, Callable[..., Page]] = {
    "overview": overview,
    "out-of-district": out_of_district,
    "proportionate-share": proportionate_share,
    "monitoring": monitoring,
    "child-find": child_find,
    "lre": lre,
    "submissions": submissions,
    "spp-indicators": spp_page.spp_indicators,
    "disproportionality": disproportionality_page.disproportionality,
}
