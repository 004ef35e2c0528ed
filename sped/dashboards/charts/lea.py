"""One LEA's page charts: its proportionate share and environments (its figures over the years
are `trend` charts, `sped.dashboards.trends`)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.contracts.codes import DISABILITY_LABELS, ENVIRONMENT_LABELS
from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    empty_chart,
    layout,
)
from sped.dashboards.charts.lre import lre_vs_nation
from sped.dashboards.charts.share import dollars_by_fiscal_year
from sped.dashboards.column_docs import column_doc


def lea_share(rows: pl.DataFrame, lea_name: str) -> Chart:
    """One LEA's required shares and counted spending per fiscal year."""
    title = f"{lea_name}: proportionate share by fiscal year"
    if rows.is_empty():
        return empty_chart("lea-share", title, "No proportionate-share rows for this LEA.")
    dollars = [c for c in rows.columns if c.startswith(("required_", "spent_"))]
    if all(rows[c].cast(pl.Float64).fill_null(0).abs().sum() == 0 for c in dollars):
        why = f"{lea_name} had no proportionate share to spend in any fiscal year ($0.00 required)."
        return empty_chart("lea-share", title, why, rows)
    rows = rows.sort("fiscal_year")
    fig = dollars_by_fiscal_year(
        rows,
        (
            ("required_611", "Required 611", OKABE_ITO["blue"]),
            ("spent_611_initial", "Spent 611, initial period", OKABE_ITO["sky_blue"]),
            ("spent_611_carryover", "Spent 611, carryover year", OKABE_ITO["bluish_green"]),
            ("required_619", "Required 619", OKABE_ITO["vermillion"]),
            ("spent_619_initial", "Spent 619, initial period", OKABE_ITO["orange"]),
            ("spent_619_carryover", "Spent 619, carryover year", OKABE_ITO["yellow"]),
        ),
    )
    rule = column_doc("fct_proportionate_share", "status_611")
    fig = layout(fig, title, rule, x="Federal fiscal year", y="Dollars")
    return Chart("lea-share", title, fig, rule, rows)


def lea_lre(
    rows: pl.DataFrame, state_rows: pl.DataFrame, lea_name: str, school_year: str | None = None
) -> list[Chart]:
    """One LEA's environment distribution against the state's, per age group; an age group
    the LEA reported no child of says so in words (its other years are in the LEA's
    environments over the years)."""
    state = state_rows.select(
        "age_group",
        "educational_environment",
        "share",
        pl.lit("the state").alias("source"),
        pl.col("school_year"),
    )
    charts = []
    for age_group in ("6-21", "3-5"):
        title = f"Educational environments, ages {age_group}: {lea_name} and the state"
        chart_id = f"lea-lre-{age_group}"
        if rows.filter(pl.col("age_group") == age_group).is_empty():
            when = f"in {school_year}" if school_year else "in the year shown"
            why = (
                f"{lea_name} reported no child aged {age_group} with an IEP {when}, so there is "
                "no distribution to draw; its other years are in the environments over the years."
            )
            charts.append(empty_chart(chart_id, title, why))
            continue
        chart = lre_vs_nation(rows, None, age_group, lea_name)
        chart.id = chart_id
        theirs = state.filter(pl.col("age_group") == age_group)
        if theirs.height and chart.table.height:
            share = dict(zip(theirs["educational_environment"], theirs["share"], strict=True))
            codes = chart.table["educational_environment"].to_list()
            names = [ENVIRONMENT_LABELS.get(c, c) for c in codes]
            chart.figure.add_trace(
                go.Bar(
                    y=names,
                    x=[share.get(c) for c in codes],
                    orientation="h",
                    name="State",
                    marker_color=OKABE_ITO["grey"],
                    hovertemplate="%{y}: %{x:.1%}<extra>state</extra>",
                )
            )
            chart.table = chart.table.with_columns(
                pl.Series("state_share", [share.get(c) for c in codes], dtype=pl.Float64)
            ).drop("national_share")
        chart.title = title
        chart.figure.update_layout(title_text=title)
        charts.append(chart)
    return charts


def disability_label(code: str) -> str:
    return DISABILITY_LABELS.get(code, code)
