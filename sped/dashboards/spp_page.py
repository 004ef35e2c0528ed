"""The state's dashboard page for SPP/APR Indicators 5 and 6 (docs/rules/spp_indicators.md):
each LEA against the target for the chosen school year (one chart per indicator, the state's
figure and the target drawn across), and the state and its LEAs over the years (the state's
percent against the target, and how many LEAs met each target each year). Every chart's table
downloads as CSV and XLSX, as on the other pages; the numbers are marts.fct_spp_indicators'
(through `figures`), never recomputed.
"""

from __future__ import annotations

import duckdb
import numpy as np
import plotly.graph_objects as go
import polars as pl

from sped.dashboards import figures
from sped.dashboards.charts import Chart
from sped.dashboards.column_docs import column_doc
from sped.dashboards.page import Page
from sped.dashboards.scope import FilterError, Filters, Scope
from sped.dashboards.spp_public import INDICATOR_LABELS

SLUG = "spp-indicators"
BLUE, ORANGE, GREEN, GREY, BLACK = "#0072B2", "#E69F00", "#009E73", "#999999", "#000000"
GRID = "#DFE5EE"


def _layout(fig: go.Figure, title: str, rule: str, *, x: str = "", y: str = "") -> go.Figure:
    axes = {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "automargin": True}
    fig.update_layout(
        title={"text": title, "subtitle": {"text": rule[:150]}, "x": 0.01},
        template="none",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 13, "color": "#2a3f5f"},
        margin={"t": 150, "l": 70, "r": 30, "b": 70},
        height=480,
        xaxis={**axes, "title": {"text": x or None}},
        yaxis={**axes, "title": {"text": y or None}},
    )
    return fig


def _empty(chart_id: str, title: str, why: str) -> Chart:
    fig = go.Figure()
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return Chart(chart_id, title, _layout(fig, title, why), why, pl.DataFrame())


def _with_names(rows: pl.DataFrame, leas: pl.DataFrame) -> pl.DataFrame:
    names = leas.select("lea_id", "lea_name") if leas.height else None
    if names is None:
        return rows.with_columns(pl.col("lea_id").alias("lea_name"))
    return rows.join(names, on="lea_id", how="left").with_columns(
        pl.coalesce("lea_name", "lea_id").alias("lea_name")
    )


def _hline(fig: go.Figure, y: float, colour: str, dash: str, text: str) -> None:
    fig.add_hline(
        y=y,
        line_dash=dash,
        line_color=colour,
        annotation_text=text,
        annotation_position="top right",
    )


def lea_against_target(
    rows: pl.DataFrame, leas: pl.DataFrame, indicator: str, school_year: str
) -> Chart:
    """One indicator, one year: each LEA's percent, sorted, with the target and the state."""
    chart_id = f"spp-{indicator.lower()}"
    title = f"Indicator {indicator}: {INDICATOR_LABELS[indicator]}, {school_year}"
    mine = rows.filter((pl.col("indicator") == indicator) & (pl.col("school_year") == school_year))
    state = mine.filter(pl.col("lea_id") == "STATE")
    lea_rows = _with_names(
        mine.filter((pl.col("lea_id") != "STATE") & pl.col("percent").is_not_null()), leas
    ).sort("percent", descending=True)
    if lea_rows.is_empty():
        return _empty(chart_id, title, "No children in this indicator's population here.")
    met = lea_rows["meets_target"].to_list()
    colours = [GREY if m is None else GREEN if m else ORANGE for m in met]
    fig = go.Figure(
        go.Bar(
            x=lea_rows["lea_name"].to_numpy(),
            y=lea_rows["percent"].to_numpy(),
            marker_color=colours,
            customdata=np.stack(
                [lea_rows["numerator"].to_numpy(), lea_rows["denominator"].to_numpy()], axis=-1
            ),
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]})<extra></extra>",
            name="LEA",
        )
    )
    target = lea_rows["target"][0]
    direction = lea_rows["target_direction"][0]
    if target is not None:
        words = "at least" if direction == "at_least" else "at most"
        _hline(fig, target, BLACK, "dash", f"target: {words} {target:.1f}%")
    if state.height and state["percent"][0] is not None:
        _hline(fig, state["percent"][0], BLUE, "dot", f"state {state['percent'][0]:.1f}%")
    rule = column_doc("fct_spp_indicators", "percent")
    fig = _layout(fig, title, rule, y=f"Indicator {indicator} (% of children)")
    notes = ["Green: meets the target; orange: does not; grey: no target for the year."]
    table = lea_rows.select(
        "lea_id",
        "lea_name",
        "school_year",
        "indicator",
        "numerator",
        "denominator",
        "percent",
        "target",
        "target_direction",
        "meets_target",
    )
    return Chart(chart_id, title, fig, rule, table, notes)


def state_over_years(rows: pl.DataFrame) -> Chart:
    """The state's percent per indicator over the years, each with its targets."""
    title = "The state over the years, against the targets"
    state = rows.filter(pl.col("lea_id") == "STATE").sort("school_year", "indicator")
    if state.is_empty():
        return _empty("spp-state-trend", title, "No school year has figures yet.")
    fig = go.Figure()
    palette = [BLUE, ORANGE, GREEN, "#CC79A7", "#56B4E9", "#D55E00"]
    for colour, indicator in zip(palette, INDICATOR_LABELS, strict=True):
        one = state.filter(pl.col("indicator") == indicator)
        if one.is_empty():
            continue
        fig.add_trace(
            go.Scatter(
                x=one["school_year"].to_numpy(),
                y=one["percent"].to_numpy(),
                mode="lines+markers",
                name=f"{indicator}",
                line={"color": colour},
                hovertemplate=f"{indicator} %{{x}}: %{{y:.1f}}%<extra></extra>",
            )
        )
        targets = one.filter(pl.col("target").is_not_null())
        if targets.height:
            fig.add_trace(
                go.Scatter(
                    x=targets["school_year"].to_numpy(),
                    y=targets["target"].to_numpy(),
                    mode="markers",
                    marker={"symbol": "line-ew-open", "size": 18, "color": colour},
                    name=f"{indicator} target",
                    hovertemplate=f"{indicator} target %{{x}}: %{{y:.1f}}%<extra></extra>",
                )
            )
    rule = column_doc("fct_spp_indicators", "meets_target")
    fig = _layout(fig, title, rule, x="School year", y="% of children")
    fig.update_xaxes(type="category")
    table = state.select(
        "school_year",
        "indicator",
        "numerator",
        "denominator",
        "percent",
        "target",
        "target_direction",
        "meets_target",
    )
    return Chart("spp-state-trend", title, fig, rule, table)


def leas_meeting(rows: pl.DataFrame) -> Chart:
    """How many LEAs met each target each year (of those with children and a target)."""
    title = "LEAs meeting each target, by school year"
    judged = rows.filter((pl.col("lea_id") != "STATE") & pl.col("meets_target").is_not_null())
    if judged.is_empty():
        return _empty("spp-leas-meeting", title, "No target set for the years shown.")
    table = (
        judged.group_by("school_year", "indicator")
        .agg(
            pl.col("meets_target").sum().alias("leas_meeting"),
            pl.len().alias("leas_judged"),
        )
        .with_columns(
            (pl.col("leas_meeting") * 100 / pl.col("leas_judged")).alias("percent_meeting")
        )
        .sort("school_year", "indicator")
    )
    fig = go.Figure()
    for year in table["school_year"].unique().sort().to_list():
        one = table.filter(pl.col("school_year") == year)
        fig.add_trace(
            go.Bar(
                x=one["indicator"].to_numpy(),
                y=one["percent_meeting"].to_numpy(),
                name=year,
                customdata=np.stack(
                    [one["leas_meeting"].to_numpy(), one["leas_judged"].to_numpy()], axis=-1
                ),
                hovertemplate="%{x}, "
                + year
                + ": %{y:.0f}% (%{customdata[0]} of %{customdata[1]} LEAs)<extra></extra>",
            )
        )
    rule = "LEAs whose percent meets the state's target, of the LEAs with children and a target."
    fig = _layout(fig, title, rule, x="Indicator", y="% of LEAs meeting the target")
    fig.update_layout(barmode="group")
    return Chart("spp-leas-meeting", title, fig, rule, table)


def spp_indicators(con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters, **_) -> Page:
    """The page: every indicator per LEA for the chosen (or latest) year, and the years."""
    every_year = figures.figure(
        con,
        "spp_indicators",
        scope,
        Filters(lea_type=filters.lea_type, county=filters.county),
    )
    state_rows = figures.figure(con, "spp_indicators", scope, Filters(lea_id="STATE"))
    rows = pl.concat([every_year.filter(pl.col("lea_id") != "STATE"), state_rows])
    years = sorted(rows["school_year"].unique().to_list())
    year = filters.school_year or (years[-1] if years else None)
    if year is None:
        raise FilterError("no school year has figures yet: run the pipeline first")
    leas = figures.leas(con, scope)
    return Page(
        SLUG,
        "SPP/APR Indicators 5 and 6",
        "Where children with IEPs are educated, as the State Performance Plan measures it: "
        "school age (Indicator 5: aged 5 in kindergarten and 6-21, with the parentally placed "
        "children served under a services plan) and preschool (Indicator 6: aged 3-5 not in "
        "kindergarten), each LEA against the state's target and the state's own figure.",
        [
            *(lea_against_target(rows, leas, i, year) for i in INDICATOR_LABELS),
            state_over_years(rows),
            leas_meeting(rows),
        ],
        year,
        tables={"spp-indicators": rows},
    )
