"""The child-find page's charts: the funnel and evaluations within the state's timeline."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    arr,
    empty_chart,
    layout,
    new_figure,
    reference_line,
    with_names,
)
from sped.dashboards.column_docs import column_doc


def child_find_funnel(rows: pl.DataFrame, label: str) -> Chart:
    title = f"Child find funnel, {label}"
    if rows.is_empty():
        return empty_chart("child-find-funnel", title, "No child-find log for this selection.")
    stages = (
        ("referred", "Referred"),
        ("evaluated_initial", "Evaluated (initial)"),
        ("determined_eligible", "Determined eligible"),
        ("served", "Served"),
    )
    values = [int(rows[c].sum()) for c, _ in stages]
    fig = new_figure(
        go.Funnel(
            y=[name for _, name in stages],
            x=values,
            textinfo="value+percent initial",
            marker={
                "color": [
                    OKABE_ITO["blue"],
                    OKABE_ITO["sky_blue"],
                    OKABE_ITO["bluish_green"],
                    OKABE_ITO["orange"],
                ]
            },
        )
    )
    rule = "; ".join(f"{name}: {column_doc('fct_child_find', c)}" for c, name in stages)
    fig = layout(fig, title, rule, x="Children")
    table = pl.DataFrame({"stage": [n for _, n in stages], "children": values})
    return Chart("child-find-funnel", title, fig, rule, table)


def child_find_timeliness(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    title = f"Evaluations within the state's timeline, {school_year}"
    rows = with_names(rows.filter(pl.col("evaluated_with_consent") > 0), leas).sort("timely_rate")
    if rows.is_empty():
        why = "No evaluations with a consent date here."
        return empty_chart("child-find-timeliness", title, why)
    fig = new_figure(
        go.Bar(
            x=arr(rows["lea_name"]),
            y=arr(rows["timely_rate"]),
            name="On time",
            marker_color=OKABE_ITO["blue"],
            customdata=arr(
                rows.select(
                    "lea_id",
                    "evaluated_within_timeline",
                    "evaluated_with_consent",
                    "median_days_consent_to_evaluation",
                )
            ),
            hovertemplate="%{x}: %{y:.0%} (%{customdata[1]} of %{customdata[2]}; median "
            "%{customdata[3]} days)<extra></extra>",
        )
    )
    total = rows["evaluated_within_timeline"].sum() / rows["evaluated_with_consent"].sum()
    fig = reference_line(fig, total, f"all selected LEAs {total:.0%}")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.08])
    rule = column_doc("fct_child_find", "evaluated_within_timeline")
    fig = layout(fig, title, rule, y="Evaluations on time (%)", drilldown=True)
    return Chart("child-find-timeliness", title, fig, rule, rows)
