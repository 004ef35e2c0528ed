"""The proportionate-share page's charts (34 CFR 300.133): required against spent, shortfalls,
carryover ending, state totals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import plotly.graph_objects as go
import polars as pl

from sped.contracts.labels import label as code_label
from sped.dashboards.charts.base import (
    OKABE_ITO,
    STATUS_COLOURS,
    Chart,
    arr,
    empty_chart,
    layout,
    new_figure,
    with_names,
)
from sped.dashboards.column_docs import column_doc


def share_required_vs_spent(rows: pl.DataFrame, leas: pl.DataFrame, fund: str) -> Chart:
    """Required share against counted spending (initial + carryover) per LEA, by status."""
    title = f"IDEA {fund}: required share against spending, by status"
    rows = with_names(rows.filter(pl.col(f"required_{fund}") > 0), leas).with_columns(
        (pl.col(f"spent_{fund}_initial") + pl.col(f"spent_{fund}_carryover")).alias(
            f"spent_{fund}"
        ),
        pl.col(f"status_{fund}").fill_null("UNKNOWN").alias("status"),
    )
    if rows.is_empty():
        why = f"No LEA with a {fund} obligation in this selection."
        return empty_chart(f"share-{fund}", title, why)
    fig = new_figure()
    for status, colour in STATUS_COLOURS.items():
        part = rows.filter(pl.col("status") == status)
        if part.is_empty():
            continue
        fig.add_trace(
            go.Scatter(
                x=arr(part[f"required_{fund}"].cast(pl.Float64)),
                y=arr(part[f"spent_{fund}"].cast(pl.Float64)),
                mode="markers",
                name=code_label("share_status", status),
                marker={"color": colour, "size": 10},
                customdata=arr(part.select("lea_id", "lea_name", "fiscal_year")),
                hovertemplate="%{customdata[1]} FY %{customdata[2]}<br>required $%{x:,.2f}"
                "<br>spent $%{y:,.2f}<extra></extra>",
            )
        )
    top = float(rows[f"required_{fund}"].max())
    fig.add_trace(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="spent = required",
            line={"color": OKABE_ITO["black"], "dash": "dash"},
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(tickprefix="$", tickformat=",.0f")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    rule = column_doc("fct_proportionate_share", f"required_{fund}")
    fig = layout(
        fig,
        title,
        rule,
        x=f"Required {fund} share (dollars)",
        y="Spent, initial + carryover ($)",  # short: a rotated title reaches the subtitle
        drilldown=True,
    )
    return Chart(f"share-{fund}", title, fig, rule, rows)


def share_shortfalls(rows: pl.DataFrame, leas: pl.DataFrame) -> Chart:
    """LEAs with a shortfall, largest first, 611 and 619 stacked."""
    title = "Shortfalls: required share not yet spent"
    rows = with_names(
        rows.filter((pl.col("shortfall_611") > 0) | (pl.col("shortfall_619") > 0)), leas
    ).with_columns((pl.col("shortfall_611") + pl.col("shortfall_619")).alias("shortfall"))
    if rows.is_empty():
        return empty_chart("share-shortfalls", title, "No shortfall in this selection.")
    rows = rows.sort("shortfall", descending=True)
    labels = [f"{n} FY{y}" for n, y in zip(rows["lea_name"], rows["fiscal_year"], strict=True)]
    fig = new_figure()
    for fund, colour in (("611", OKABE_ITO["blue"]), ("619", OKABE_ITO["orange"])):
        codes = rows[f"status_{fund}"].fill_null("UNKNOWN")
        status = [code_label("share_status", s) for s in codes]
        fig.add_trace(
            go.Bar(  # horizontal: the LEAs' names read across, and the plot keeps its height
                y=labels,
                x=arr(rows[f"shortfall_{fund}"].cast(pl.Float64)),
                orientation="h",
                name=f"IDEA {fund}",
                marker_color=colour,
                customdata=np.array(list(zip(rows["lea_id"], status, strict=True)), dtype=object),
                hovertemplate="%{y}<br>$%{x:,.2f} (%{customdata[1]})<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickprefix="$", tickformat=",.0f")
    fig.update_yaxes(autorange="reversed")
    rule = column_doc("fct_proportionate_share", "shortfall_611")
    fig = layout(fig, title, rule, x="Shortfall (dollars)", drilldown=True)
    fig.update_layout(height=max(420, 24 * len(labels) + 220))
    return Chart("share-shortfalls", title, fig, rule, rows)


def months_between(start: dt.date, end: dt.date) -> float:
    return (end - start).days / 30.4375


def share_carryover_ending(rows: pl.DataFrame, leas: pl.DataFrame, months: int) -> Chart:
    """LEAs with a shortfall whose period to spend ends within `months` of the as-of date: the
    initial period for OPEN, the carryover year for CARRYOVER_OPEN."""
    title = f"Shares still open with the spending period ending within {months} months"
    rows = with_names(rows, leas)
    found = []
    for r in rows.iter_rows(named=True):
        for fund in ("611", "619"):
            status = r[f"status_{fund}"]
            if status not in ("OPEN", "CARRYOVER_OPEN") or not r[f"shortfall_{fund}"]:
                continue
            ends = r["initial_period_ends"] if status == "OPEN" else r["carryover_ends"]
            left = months_between(r["judged_as_of"], ends)
            if 0 <= left <= months:
                found.append(
                    {
                        "lea_id": r["lea_id"],
                        "lea_name": r["lea_name"],
                        "fiscal_year": r["fiscal_year"],
                        "fund": fund,
                        "status": status,
                        "shortfall": float(r[f"shortfall_{fund}"]),
                        "period_ends": ends,
                        "months_left": round(left, 1),
                    }
                )
    table = pl.DataFrame(found) if found else pl.DataFrame()
    if table.is_empty():
        return empty_chart("share-ending", title, f"No open share ends within {months} months.")
    table = table.sort("months_left", "shortfall", descending=[False, True])
    fig = new_figure(
        go.Bar(
            y=[
                f"{n} FY{y} {f}"
                for n, y, f in zip(
                    table["lea_name"], table["fiscal_year"], table["fund"], strict=True
                )
            ],
            x=arr(table["shortfall"]),
            orientation="h",
            marker_color=[STATUS_COLOURS[s] for s in table["status"]],
            text=[f"{m} months left" for m in table["months_left"]],
            textposition="auto",
            customdata=arr(table.select("lea_id", "status", "period_ends")),
            hovertemplate="%{y}: $%{x:,.2f} unspent, %{customdata[1]} ends %{customdata[2]}"
            "<extra></extra>",
            name="shortfall",
        )
    )
    fig.update_xaxes(tickprefix="$", tickformat=",.0f")
    fig.update_yaxes(autorange="reversed")
    rule = (
        column_doc("fct_proportionate_share", "carryover_ends")
        + " "
        + column_doc("fct_proportionate_share", "initial_period_ends")
    )
    fig = layout(
        fig,
        title,
        f"Unspent share with the end of its period close. {rule}",
        x="Shortfall (dollars)",
        drilldown=True,
    )
    return Chart("share-ending", title, fig, rule, table)


def share_state_totals(rows: pl.DataFrame) -> Chart:
    """The state's required shares and counted spending per fiscal year, 611 and 619."""
    title = "State totals: required share and counted spending"
    if rows.is_empty():
        return empty_chart("share-totals", title, "No proportionate-share rows for this selection.")
    totals = (
        rows.group_by("fiscal_year")
        .agg(
            pl.col("required_611").sum(),
            pl.col("required_619").sum(),
            (pl.col("spent_611_initial") + pl.col("spent_611_carryover")).sum().alias("spent_611"),
            (pl.col("spent_619_initial") + pl.col("spent_619_carryover")).sum().alias("spent_619"),
            pl.col("shortfall_611").sum(),
            pl.col("shortfall_619").sum(),
        )
        .sort("fiscal_year")
    )
    fig = dollars_by_fiscal_year(
        totals,
        (
            ("required_611", "Required 611", OKABE_ITO["blue"]),
            ("spent_611", "Spent 611", OKABE_ITO["sky_blue"]),
            ("required_619", "Required 619", OKABE_ITO["vermillion"]),
            ("spent_619", "Spent 619", OKABE_ITO["orange"]),
        ),
    )
    rule = column_doc("fct_proportionate_share", "spent_611_initial")
    fig = layout(fig, title, rule, x="Federal fiscal year", y="Dollars")
    return Chart("share-totals", title, fig, rule, totals)


def dollars_by_fiscal_year(rows: pl.DataFrame, series) -> go.Figure:
    """Grouped bars of dollars per fiscal year: one bar per (column, label, colour) of
    `series`, each year of `rows` (sorted by fiscal_year) along the axis."""
    years = [f"FY {y}" for y in rows["fiscal_year"]]
    fig = new_figure()
    for col, label, colour in series:
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
    return fig
