"""The one chart of a figure over the years (`sped.dashboards.trends`): a line per measure and
per whom (the LEA or the selection, its similar LEAs, the state), the measure by colour and
whom by dash, every year along the axis, numbers in the kind's format (`formats.D3`)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.dashboards import formats
from sped.dashboards.charts.base import (
    PALETTE,
    Chart,
    arr,
    empty_chart,
    layout,
    new_figure,
)

#: column prefix -> (words after the measure's label, dash)
WHO = {"": ("", "solid"), "similar_": ("similar LEAs", "dot"), "state_": ("state", "dash")}
AXIS = {"rate": "% of the group", "count": "Children"}


def trend(
    chart_id: str,
    title: str,
    table: pl.DataFrame,
    measures: list[tuple[str, str]],
    *,
    kind: str,
    rule: str,
    who: str = "",
    notes: list[str] | None = None,
    colours: list[str] | None = None,
    axis: str | None = None,
) -> Chart:
    """`table` has a period column (school_year or fiscal_year) and, per (key, label) of
    `measures`, the columns `<key>`, and where present `similar_<key>` and `state_<key>`;
    `who` names the `<key>` line (an LEA's name, "selected LEAs")."""
    period = "fiscal_year" if "fiscal_year" in table.columns else "school_year"
    values = [c for c in table.columns if c != period]
    if table.is_empty() or all(table[c].null_count() == table.height for c in values):
        return empty_chart(chart_id, title, "No figures for any year in this selection.", table)
    table = table.sort(period)
    years = [f"FY {y}" if period == "fiscal_year" else y for y in table[period]]
    colours = colours or PALETTE
    fig = new_figure()
    for i, (key, label) in enumerate(measures):
        for prefix, (whom, dash) in WHO.items():
            column = prefix + key
            if column not in table.columns:
                continue
            whom = whom or who
            name = f"{label}: {whom}" if whom else label
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=arr(table[column]),
                    mode="lines+markers",
                    name=name,
                    line={"color": colours[i % len(colours)], "dash": dash},
                    hovertemplate=f"{name}, %{{x}}: %{{y:{formats.D3[kind]}}}<extra></extra>",
                )
            )
    tick = {"rate": ".0%", "count": ",d"}[kind]
    fig.update_yaxes(tickformat=tick, rangemode="tozero")
    fig.update_xaxes(type="category")
    x = "Federal fiscal year" if period == "fiscal_year" else "School year"
    fig = layout(fig, title, rule, x=x, y=axis or AXIS[kind])
    # the legend under the plot: beside it, it takes half a phone's width
    fig.update_layout(legend={"orientation": "h", "y": -0.3, "x": 0}, margin={"b": 150})
    fig.update_layout(height=480 + 20 * len(fig.data) // 2)
    return Chart(chart_id, title, fig, rule, table, notes or [])
