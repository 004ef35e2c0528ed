"""The monitoring page's charts: coverage of out-of-district students and what is missing."""

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


def monitoring_coverage(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """Coverage per LEA against the 100% target, lowest first."""
    title = f"Monitoring coverage of out-of-district students, {school_year}"
    rows = with_names(rows.filter(pl.col("ood_students") > 0), leas).sort("coverage_rate")
    if rows.is_empty():
        return empty_chart("monitoring-coverage", title, "No out-of-district students here.")
    fig = new_figure(
        go.Bar(
            x=arr(rows["lea_name"]),
            y=arr(rows["coverage_rate"]),
            name="Covered",
            marker_color=[
                OKABE_ITO["bluish_green"] if r >= 1 else OKABE_ITO["orange"]
                for r in rows["coverage_rate"]
            ],
            customdata=arr(rows.select("lea_id", "fully_covered", "ood_students")),
            hovertemplate="%{x}: %{y:.0%} (%{customdata[1]} of %{customdata[2]})<extra></extra>",
        )
    )
    fig = reference_line(fig, 1.0, "target 100%")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.08])
    rule = (
        column_doc("fct_monitoring_coverage", "coverage_rate")
        + " "
        + column_doc("fct_monitoring_coverage", "with_countable_activity")
    )
    fig = layout(fig, title, rule, y="Students fully covered (%)", drilldown=True)
    return Chart("monitoring-coverage", title, fig, rule, rows)


def monitoring_missing(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """What is missing per LEA: no plan; a plan but no countable monitoring."""
    title = f"Out-of-district students not fully monitored, {school_year}"
    rows = (
        with_names(rows, leas)
        .with_columns(
            (pl.col("ood_students") - pl.col("with_plan")).alias("without_plan"),
            (pl.col("with_plan") - pl.col("fully_covered")).alias(
                "plan_without_countable_monitoring"
            ),
        )
        .filter((pl.col("without_plan") + pl.col("plan_without_countable_monitoring")) > 0)
    )
    if rows.is_empty():
        return empty_chart("monitoring-missing", title, "Every out-of-district student is covered.")
    rows = rows.sort(
        pl.col("without_plan") + pl.col("plan_without_countable_monitoring"), descending=True
    )
    fig = new_figure()
    for col, label, colour in (
        ("without_plan", "No monitoring plan", OKABE_ITO["vermillion"]),
        ("plan_without_countable_monitoring", "Plan, no countable monitoring", OKABE_ITO["orange"]),
    ):
        fig.add_trace(
            go.Bar(
                x=arr(rows["lea_name"]),
                y=arr(rows[col]),
                name=label,
                marker_color=colour,
                customdata=arr(rows.select("lea_id")),
                hovertemplate=f"%{{x}}: %{{y}} {label.lower()}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    rule = column_doc("fct_monitoring_coverage", "only_noncountable_activity")
    fig = layout(fig, title, rule, y="Students", drilldown=True)
    return Chart("monitoring-missing", title, fig, rule, rows)
