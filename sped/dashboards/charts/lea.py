"""One LEA's page charts: its out-of-district trend, proportionate share and environments."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.contracts.codes import DISABILITY_LABELS, ENVIRONMENT_LABELS
from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    arr,
    empty_chart,
    layout,
    new_figure,
)
from sped.dashboards.charts.lre import lre_vs_nation
from sped.dashboards.column_docs import column_doc


def lea_ood_trend(
    rows: pl.DataFrame, lea_name: str, peers: pl.DataFrame | None = None, peers_are: str = ""
) -> Chart:
    """One LEA's out-of-district rate and Indicator 5C over the years against the state's and,
    when given, its similar LEAs' (`sped.dashboards.similar`: `peers_are` says which)."""
    title = f"{lea_name}: out-of-district rate and Indicator 5C over the years"
    rows = rows.sort("school_year")
    if rows.is_empty():
        return empty_chart("lea-ood", title, "No roster from this LEA.")
    fig = new_figure()
    series = (
        ("ood_rate", "Out-of-district rate", OKABE_ITO["blue"], "solid"),
        ("state_ood_rate", "State out-of-district rate", OKABE_ITO["blue"], "dash"),
        ("indicator_5c_rate", "Indicator 5C", OKABE_ITO["orange"], "solid"),
        ("state_indicator_5c_rate", "State Indicator 5C", OKABE_ITO["orange"], "dash"),
    )
    for col, label, colour, dash in series:
        fig.add_trace(
            go.Scatter(
                x=arr(rows["school_year"]),
                y=arr(rows[col]),
                mode="lines+markers",
                name=label,
                line={"color": colour, "dash": dash},
                hovertemplate=f"{label}: %{{y:.1%}}<extra></extra>",
            )
        )
    notes = []
    if peers is not None and peers.height:
        fig.add_trace(
            go.Scatter(
                x=arr(peers["school_year"]),
                y=arr(peers["peers_ood_rate"]),
                mode="lines+markers",
                name="Similar LEAs' out-of-district rate",
                line={"color": OKABE_ITO["bluish_green"], "dash": "dot"},
                hovertemplate="Similar LEAs: %{y:.1%}<extra></extra>",
            )
        )
        rows = rows.join(peers, on="school_year", how="left")
        notes.append(f"Similar LEAs: {peers_are} ({int(peers['peers'].max())} LEAs).")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    rule = column_doc("fct_out_of_district", "ood_rate")
    fig = layout(fig, title, rule, x="School year", y="% of students")
    return Chart("lea-ood", title, fig, rule, rows, notes)


def lea_share(rows: pl.DataFrame, lea_name: str) -> Chart:
    """One LEA's required shares and counted spending per fiscal year."""
    title = f"{lea_name}: proportionate share by fiscal year"
    if rows.is_empty():
        return empty_chart("lea-share", title, "No proportionate-share rows for this LEA.")
    rows = rows.sort("fiscal_year")
    years = [f"FY {y}" for y in rows["fiscal_year"]]
    fig = new_figure()
    for col, label, colour in (
        ("required_611", "Required 611", OKABE_ITO["blue"]),
        ("spent_611_initial", "Spent 611, initial period", OKABE_ITO["sky_blue"]),
        ("spent_611_carryover", "Spent 611, carryover year", OKABE_ITO["bluish_green"]),
        ("required_619", "Required 619", OKABE_ITO["vermillion"]),
        ("spent_619_initial", "Spent 619, initial period", OKABE_ITO["orange"]),
        ("spent_619_carryover", "Spent 619, carryover year", OKABE_ITO["yellow"]),
    ):
        fig.add_trace(
            go.Bar(
                x=years,
                y=arr(rows[col].cast(pl.Float64)),
                name=label,
                marker_color=colour,
                hovertemplate=f"{label}: $%{{y:,.2f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    rule = column_doc("fct_proportionate_share", "status_611")
    fig = layout(fig, title, rule, x="Federal fiscal year", y="Dollars")
    return Chart("lea-share", title, fig, rule, rows)


def lea_lre(rows: pl.DataFrame, state_rows: pl.DataFrame, lea_name: str) -> list[Chart]:
    """One LEA's environment distribution against the state's, per age group."""
    state = state_rows.select(
        "age_group",
        "educational_environment",
        "share",
        pl.lit("the state").alias("source"),
        pl.col("school_year"),
    )
    charts = []
    for age_group in ("6-21", "3-5"):
        chart = lre_vs_nation(rows, None, age_group, lea_name)
        chart.id = f"lea-lre-{age_group}"
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
            chart.figure.update_layout(
                title_text=f"Educational environments, ages {age_group}: {lea_name} and the state"
            )
        charts.append(chart)
    return charts


def disability_label(code: str) -> str:
    return DISABILITY_LABELS.get(code, code)
