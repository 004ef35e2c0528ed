"""Charts of the significant disproportionality page (docs/rules/disproportionality.md), built from
the rows of marts.fct_significant_disproportionality: the groups over the threshold in a year,
their ratios over the consecutive years, how many LEAs are over it in each category, and for one
LEA and category each race's risk against its comparison group's, and its ratios over the years.
Ratios are drawn with two decimals and risks as percentages (`formats.D3`); the numbers are the
mart's, never recomputed.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.contracts.labels import label
from sped.dashboards import formats
from sped.dashboards.charts.base import (
    OKABE_ITO,
    PALETTE,
    Chart,
    arr,
    empty_chart,
    layout,
    new_figure,
    reference_line,
)
from sped.dashboards.column_docs import column_doc

MART = "fct_significant_disproportionality"
SIGNIFICANT, EXCEEDING = OKABE_ITO["reddish_purple"], OKABE_ITO["orange"]
#: The columns of a drill-down's table, in the order a reader compares them.
COUNT_COLUMNS = (
    "school_year",
    "category",
    "race_ethnicity",
    "group_count",
    "group_total",
    "risk",
    "comparison_count",
    "comparison_total",
    "comparison_risk",
    "risk_ratio",
    "ratio_kind",
    "exceeds_threshold",
    "consecutive_years",
    "significant",
)


def group_name(row: dict) -> str:
    """A group in words: "LEA name · Identification, autism · Black or African American"."""
    return " · ".join(
        (
            row.get("lea_name") or row["lea_id"],
            label("disproportionality_category", row["category"]),
            label("race_ethnicity", row["race_ethnicity"]),
        )
    )


def threshold_of(rows: pl.DataFrame) -> float | None:
    """The state's risk ratio threshold the rows were judged against (None without rows)."""
    values = rows["risk_ratio_threshold"].drop_nulls() if rows.height else pl.Series([])
    return float(values[0]) if len(values) else None


def _ratio_lines(
    chart_id: str,
    title: str,
    rule_column: str,
    series: list[tuple[str, pl.DataFrame]],
    threshold: float | None,
    table: pl.DataFrame,
) -> Chart:
    """Risk ratios over the school years, one line per named series, the threshold across."""
    fig = new_figure()
    for i, (name, one) in enumerate(series):
        fig.add_trace(
            go.Scatter(
                x=arr(one["school_year"]),
                y=arr(one["risk_ratio"]),
                mode="lines+markers",
                name=name,
                line={"color": PALETTE[i % len(PALETTE)]},
                hovertemplate="%{x}: risk ratio %{y:.2f}<extra></extra>",
            )
        )
    rule = column_doc(MART, rule_column)
    fig = layout(fig, title, rule, x="School year", y="Risk ratio")
    if threshold is not None:
        reference_line(fig, threshold, f"threshold {formats.ratio(threshold)}")
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat=formats.D3["ratio"])
    return Chart(chart_id, title, fig, rule, table)


def exceeding(rows: pl.DataFrame, school_year: str) -> Chart:
    """The groups whose risk ratio exceeds the threshold in the year, highest first; those
    significant (over it for the profile's consecutive years) drawn apart."""
    chart_id = "dispro-exceeding"
    title = f"Groups over the risk ratio threshold, {school_year}"
    over = rows.filter(pl.col("exceeds_threshold").fill_null(False)).sort(
        "risk_ratio", descending=False
    )
    if over.is_empty():
        return empty_chart(chart_id, title, "No group exceeds the risk ratio threshold this year.")
    names = [group_name(r) for r in over.iter_rows(named=True)]
    fig = new_figure()
    for significant, colour, name in (
        (True, SIGNIFICANT, "Significant (over the threshold for the consecutive years)"),
        (False, EXCEEDING, "Over the threshold, not yet for the consecutive years"),
    ):
        mask = (over["significant"] == significant).to_list()
        part = over.filter(pl.Series(mask))
        if part.is_empty():
            continue
        fig.add_trace(
            go.Bar(
                x=arr(part["risk_ratio"]),
                y=[n for n, m in zip(names, mask, strict=True) if m],
                orientation="h",
                name=name,
                marker_color=colour,
                customdata=arr(part.select("lea_id", "consecutive_years")),
                hovertemplate="%{y}: risk ratio %{x:.2f}, %{customdata[1]} consecutive "
                "year(s)<extra></extra>",
            )
        )
    threshold = threshold_of(over)
    rule = column_doc(MART, "exceeds_threshold")
    fig = layout(fig, title, rule, x="Risk ratio (group's risk over its comparison group's)")
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line_dash="dash",
            line_color=OKABE_ITO["black"],
            annotation_text=f"threshold {formats.ratio(threshold)}",
        )
    fig.update_layout(height=max(480, 150 + 28 * over.height), barmode="overlay")
    fig.update_xaxes(tickformat=formats.D3["ratio"])
    fig.update_yaxes(automargin=True)
    table = over.sort("risk_ratio", descending=True).select(
        "lea_id", "lea_name", *COUNT_COLUMNS, "risk_ratio_threshold"
    )
    return Chart(chart_id, title, fig, rule, table)


def over_the_years(rows: pl.DataFrame, every_year: pl.DataFrame, school_year: str) -> Chart:
    """The risk ratios, year by year, of the groups over the threshold in the year."""
    chart_id = "dispro-years"
    title = f"Their risk ratios over the years (the groups over the threshold in {school_year})"
    over = rows.filter(pl.col("exceeds_threshold").fill_null(False))
    if over.is_empty():
        return empty_chart(chart_id, title, "No group exceeds the risk ratio threshold this year.")
    keys = over.select("lea_id", "category", "race_ethnicity")
    history = every_year.join(keys, on=["lea_id", "category", "race_ethnicity"]).sort(
        "lea_id", "category", "race_ethnicity", "school_year"
    )
    series = [
        (group_name(one.row(0, named=True)), one)
        for _, one in history.group_by("lea_id", "category", "race_ethnicity", maintain_order=True)
    ]
    table = history.select("lea_id", "lea_name", *COUNT_COLUMNS)
    return _ratio_lines(chart_id, title, "consecutive_years", series, threshold_of(over), table)


def by_category(rows: pl.DataFrame, school_year: str) -> Chart:
    """How many LEAs have a group over the threshold, and a significant one, per category."""
    chart_id = "dispro-categories"
    title = f"LEAs over the threshold and significant, by category, {school_year}"
    analysed = rows.filter(pl.col("exceeds_threshold").is_not_null())
    if analysed.is_empty():
        return empty_chart(chart_id, title, "No group is large enough to be analysed this year.")
    table = (
        analysed.group_by("category")
        .agg(
            pl.col("lea_id").filter(pl.col("exceeds_threshold")).n_unique().alias("leas_over"),
            pl.col("lea_id").filter(pl.col("significant")).n_unique().alias("leas_significant"),
            pl.col("lea_id").n_unique().alias("leas_analysed"),
        )
        .sort("category")
    )
    words = [label("disproportionality_category", c) for c in table["category"].to_list()]
    fig = new_figure(
        go.Bar(
            x=words,
            y=arr(table["leas_over"]),
            name="LEAs with a group over the threshold",
            marker_color=EXCEEDING,
            hovertemplate="%{x}: %{y} LEAs over the threshold<extra></extra>",
        ),
        go.Bar(
            x=words,
            y=arr(table["leas_significant"]),
            name="LEAs with significant disproportionality",
            marker_color=SIGNIFICANT,
            hovertemplate="%{x}: %{y} LEAs significant<extra></extra>",
        ),
    )
    rule = column_doc(MART, "significant")
    fig = layout(fig, title, rule, y="LEAs")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=formats.D3["count"], rangemode="tozero")
    if table["leas_over"].max() <= 10:  # whole LEAs: no tick between two counts
        fig.update_yaxes(dtick=1)
    return Chart(chart_id, title, fig, rule, table)


def lea_risks(rows: pl.DataFrame, lea_name: str, category: str, school_year: str) -> Chart:
    """One LEA, one category, one year: each race's risk against its comparison group's."""
    chart_id = "dispro-lea-risks"
    words = label("disproportionality_category", category)
    title = f"{lea_name}: {words}, each group's risk against its comparison group's, {school_year}"
    year = rows.filter(pl.col("school_year") == school_year).sort("race_ethnicity")
    if year.is_empty() or year["risk"].drop_nulls().is_empty():
        return empty_chart(
            chart_id, title, "No child of this LEA is counted in this category here."
        )
    races = [label("race_ethnicity", r) for r in year["race_ethnicity"].to_list()]
    fig = new_figure(
        go.Bar(
            x=races,
            y=arr(year["risk"]),
            name="The group's risk",
            marker_color=OKABE_ITO["blue"],
            customdata=arr(year.select("group_count", "group_total")),
            hovertemplate="%{x}: %{y:.2%} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
        ),
        go.Bar(
            x=races,
            y=arr(year["comparison_risk"]),
            name="Its comparison group's risk",
            marker_color=OKABE_ITO["grey"],
            customdata=arr(year.select("comparison_count", "comparison_total")),
            hovertemplate="%{x}: %{y:.2%} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
        ),
    )
    rule = column_doc(MART, "risk")
    fig = layout(fig, title, rule, y="Risk (% of the group)")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=formats.D3["risk"])
    return Chart(chart_id, title, fig, rule, year.select(*COUNT_COLUMNS))


def lea_ratios(rows: pl.DataFrame, lea_name: str, category: str) -> Chart:
    """One LEA, one category: each race's risk ratio over the years, with the threshold."""
    chart_id = "dispro-lea-years"
    words = label("disproportionality_category", category)
    title = f"{lea_name}: {words}, risk ratios over the years"
    analysed = rows.filter(pl.col("risk_ratio").is_not_null()).sort("race_ethnicity", "school_year")
    if analysed.is_empty():
        return empty_chart(
            chart_id, title, "No group of this LEA is large enough to be analysed in any year."
        )
    series = [
        (label("race_ethnicity", race[0]), one)
        for race, one in analysed.group_by("race_ethnicity", maintain_order=True)
    ]
    table = rows.sort("school_year").select(*COUNT_COLUMNS)
    return _ratio_lines(chart_id, title, "risk_ratio", series, threshold_of(rows), table)
