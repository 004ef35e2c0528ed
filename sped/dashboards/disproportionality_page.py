"""The state's dashboard page for significant disproportionality (34 CFR 300.646-647;
docs/rules/disproportionality.md), for the state team only: the LEAs and groups over the risk
ratio threshold in the chosen school year, their risk ratios over the years, which are
significant, how many LEAs are over it in each category, and a drill-down to one LEA and
category (each race's counts, risks and ratios). Every chart's table, and the year's rows,
download as CSV and XLSX with words beside each code. The numbers are
marts.fct_significant_disproportionality's (through `figures`), never recomputed.
"""

from __future__ import annotations

import duckdb
import polars as pl

from sped.contracts.labels import DISPROPORTIONALITY_CATEGORY_LABELS, label
from sped.dashboards import figures
from sped.dashboards.charts import disproportionality as charts
from sped.dashboards.charts.base import with_names
from sped.dashboards.page import Page
from sped.dashboards.scope import FilterError, Filters, Scope, ScopeError

SLUG = "disproportionality"
FIGURE = "significant_disproportionality"
#: The template part that shows the groups over the threshold and the drill-down's counts.
PARTIAL = "dashboards/_disproportionality.html"


def drill_options(lea_id: str | None, category: str | None) -> dict[str, str]:
    """The page's own options from its query string: the LEA and category of a drill-down."""
    return {k: v for k, v in (("lea_id", lea_id), ("category", category)) if v}


def _drill(lea_id: str | None, category: str | None) -> tuple[str, str] | None:
    if category is not None and category not in DISPROPORTIONALITY_CATEGORY_LABELS:
        raise FilterError(
            f"category must be one of {', '.join(DISPROPORTIONALITY_CATEGORY_LABELS)}"
        )
    if lea_id is None:
        if category is not None:
            raise FilterError("choose an LEA to see its counts in a category")
        return None
    Filters(lea_id=lea_id)  # checks its shape
    return lea_id, category or "ID_ALL"


def disproportionality(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    filters: Filters,
    *,
    lea_id: str | None = None,
    category: str | None = None,
    **_,
) -> Page:
    """The page: the year's groups over the threshold, or one LEA and category's counts."""
    if scope.role != "state":
        raise ScopeError("significant disproportionality is for the state team")
    drill = _drill(lea_id, category)
    leas = figures.leas(con, scope)
    group = Filters(lea_type=filters.lea_type, county=filters.county)
    every_year = with_names(figures.figure(con, FIGURE, scope, group), leas)
    years = sorted(every_year["school_year"].unique().to_list()) or figures.school_years(con)
    year = filters.school_year or (years[-1] if years else None)
    if year is None:
        raise FilterError("no school year has figures yet: run the pipeline first")
    rows = every_year.filter(pl.col("school_year") == year)
    threshold = charts.threshold_of(every_year)
    standard = (
        f"a risk ratio above {threshold:.2f} exceeds the state's threshold"
        if threshold is not None
        else "the state's risk ratio threshold"
    )
    intro = (
        "Whether an LEA's children of one race or ethnicity are identified as children with "
        "disabilities, or placed apart from their peers, much more often than the other "
        f"children (34 CFR 300.646-647): {standard}, and an LEA over it for the state's number "
        "of consecutive years has significant disproportionality. For the state team only."
    )
    if drill is None:
        over = rows.filter(pl.col("exceeds_threshold").fill_null(False)).sort(
            ["significant", "risk_ratio"], descending=True
        )
        return Page(
            SLUG,
            "Significant disproportionality",
            intro,
            [
                charts.exceeding(rows, year),
                charts.over_the_years(rows, every_year, year),
                charts.by_category(rows, year),
            ],
            year,
            tables={"significant-disproportionality": rows},
            extra={"partial": PARTIAL, "over": over},
        )
    lea_id, category = drill
    directory = leas.filter(pl.col("lea_id") == lea_id)
    name = directory["lea_name"][0] if directory.height else lea_id
    mine = every_year.filter((pl.col("lea_id") == lea_id) & (pl.col("category") == category))
    if mine.is_empty():  # the LEA may lie outside the type or county filters: ask it alone
        mine = with_names(figures.figure(con, FIGURE, scope, Filters(lea_id=lea_id)), leas).filter(
            pl.col("category") == category
        )
    return Page(
        SLUG,
        f"Significant disproportionality: {name}",
        f"{label('disproportionality_category', category)}: each racial or ethnic group of "
        f"LEA {lea_id}, its counts, its risk and its comparison group's, and its risk ratio. "
        + intro,
        [
            charts.lea_risks(mine, name, category, year),
            charts.lea_ratios(mine, name, category),
        ],
        year,
        tables={"lea-category-counts": mine.select(charts.COUNT_COLUMNS)},
        extra={
            "partial": PARTIAL,
            "drill": {"lea_id": lea_id, "name": name, "category": category},
            "counts": mine.filter(pl.col("school_year") == year).sort("race_ethnicity"),
            "categories": list(DISPROPORTIONALITY_CATEGORY_LABELS),
        },
    )
