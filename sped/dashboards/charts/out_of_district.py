"""The out-of-district page's charts: rates across LEAs, the ranking, the funnel, trends by
placement type and Indicator 5C."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.dashboards import outliers
from sped.dashboards.charts.base import (
    FLAG_COLOURS,
    OKABE_ITO,
    PALETTE,
    PLACEMENT_COLUMNS,
    Chart,
    arr,
    empty_chart,
    layout,
    new_figure,
    reference_line,
    with_names,
)
from sped.dashboards.column_docs import column_doc


def ood_distribution(rows: pl.DataFrame, school_year: str) -> Chart:
    """How LEAs' out-of-district rates are spread, with the state rate marked."""
    rows = rows.filter(pl.col("ood_rate").is_not_null())
    title = f"Out-of-district rate across LEAs, {school_year}"
    if rows.is_empty():
        return empty_chart("ood-distribution", title, "No LEA rosters for this selection.")
    fig = new_figure(
        go.Histogram(
            x=arr(rows["ood_rate"]),
            xbins={"size": 0.01},
            name="LEAs",
            marker_color=OKABE_ITO["sky_blue"],
            hovertemplate="%{x} : %{y} LEAs<extra></extra>",
        )
    )
    state = rows["state_ood_rate"][0]
    fig = reference_line(fig, state, f"state {state:.1%}", axis="x")
    fig.update_xaxes(tickformat=".0%")
    rule = column_doc("fct_out_of_district", "ood_rate")
    fig = layout(fig, title, f"Rate = {rule}", x="Out-of-district rate (% of students)", y="LEAs")
    # whole LEAs on the count axis (plotly picked ticks at 0.5 LEAs for small counts)
    tallest = int((rows["ood_rate"] // 0.01).value_counts()["count"].max())
    fig.update_yaxes(tickformat=",d", dtick=1 if tallest <= 10 else None, rangemode="tozero")
    return Chart("ood-distribution", title, fig, rule, rows)


def ood_ranking(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """Every LEA's rate against the state rate, highest first, outliers coloured."""
    rows = outliers.flag_rates(with_names(rows.filter(pl.col("ood_rate").is_not_null()), leas))
    title = f"LEAs ranked by out-of-district rate, {school_year}"
    if rows.is_empty():
        return empty_chart("ood-ranking", title, "No LEA rosters for this selection.", rows)
    rows = rows.sort("ood_rate", descending=True)
    fig = new_figure()
    for flag_value in ("HIGH", "WATCH", "WITHIN", "LOW"):
        part = rows.filter(pl.col("outlier_flag") == flag_value)
        if part.is_empty():
            continue
        fig.add_trace(
            go.Bar(
                x=arr(part["lea_name"]),
                y=arr(part["ood_rate"]),
                name=flag_value.title(),
                marker_color=FLAG_COLOURS[flag_value],
                customdata=arr(part.select("lea_id", "students", "ood_students")),
                hovertemplate="%{x}<br>%{y:.1%} (%{customdata[2]} of %{customdata[1]})"
                "<extra></extra>",
            )
        )
    state = rows["state_ood_rate"][0]
    fig = reference_line(fig, state, f"state rate {state:.1%}")
    fig.update_xaxes(categoryorder="array", categoryarray=rows["lea_name"].to_list())
    fig.update_yaxes(tickformat=".0%")
    fig = layout(
        fig, title, outliers.METHOD, y="Out-of-district rate (% of students)", drilldown=True
    )
    return Chart("ood-ranking", title, fig, outliers.METHOD, rows)


def ood_funnel(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """The funnel plot: each LEA's rate against its roster size, with control limits."""
    rows = outliers.flag_rates(with_names(rows.filter(pl.col("ood_rate").is_not_null()), leas))
    title = f"Out-of-district outliers (funnel plot), {school_year}"
    if rows.is_empty():
        return empty_chart("ood-funnel", title, "No LEA rosters for this selection.")
    p = rows["state_ood_rate"][0]
    top = max(rows["students"].max(), 10)
    grid = [max(1.0, top * (i / 200) ** 2) for i in range(1, 201)]
    fig = new_figure()
    for z, dash, label in (
        (outliers.Z_ALARM, "solid", "99.8% limits"),
        (outliers.Z_WARNING, "dot", "95% limits"),
    ):
        lo = [outliers.limits(p, n, z)[0] for n in grid]
        hi = [outliers.limits(p, n, z)[1] for n in grid]
        for i, band in enumerate((lo, hi)):
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=band,
                    mode="lines",
                    name=label,
                    showlegend=i == 0,
                    legendgroup=label,
                    hoverinfo="skip",
                    line={"color": OKABE_ITO["grey"], "dash": dash, "width": 1},
                )
            )
    for flag_value in ("HIGH", "WATCH", "WITHIN", "LOW"):
        part = rows.filter(pl.col("outlier_flag") == flag_value)
        if part.is_empty():
            continue
        fig.add_trace(
            go.Scatter(
                x=arr(part["students"]),
                y=arr(part["ood_rate"]),
                mode="markers",
                name=flag_value.title(),
                marker={
                    "color": FLAG_COLOURS[flag_value],
                    "size": 9,
                    "symbol": {"HIGH": "triangle-up", "LOW": "triangle-down"}.get(
                        flag_value, "circle"
                    ),
                },
                customdata=arr(part.select("lea_id", "lea_name")),
                hovertemplate="%{customdata[1]}<br>%{y:.1%} of %{x} students<extra></extra>",
            )
        )
    fig = reference_line(fig, p, f"state rate {p:.1%}")
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(type="log")
    fig = layout(
        fig,
        title,
        outliers.METHOD,
        x="Students on the roster (log scale)",
        y="Out-of-district rate (% of students)",
        drilldown=True,
    )
    return Chart("ood-funnel", title, fig, outliers.METHOD, rows)


def ood_trend(all_years: pl.DataFrame) -> Chart:
    """The rate over school years: the selection's rate (sum over its LEAs), the state's, and
    each LEA's as a box."""
    title = "Out-of-district rate over the years"
    rows = all_years.filter(pl.col("ood_rate").is_not_null())
    if rows.is_empty():
        return empty_chart("ood-trend", title, "No LEA rosters for this selection.")
    by_year = (
        rows.group_by("school_year")
        .agg(
            pl.col("ood_students").sum(),
            pl.col("students").sum(),
            pl.col("state_ood_rate").first(),
        )
        .with_columns((pl.col("ood_students") / pl.col("students")).alias("selection_rate"))
        .sort("school_year")
    )
    fig = new_figure()
    fig.add_trace(
        go.Box(
            x=arr(rows["school_year"]),
            y=arr(rows["ood_rate"]),
            name="LEAs",
            marker_color=OKABE_ITO["sky_blue"],
            boxpoints="all",
            jitter=0.4,
            customdata=arr(rows.select("lea_id")),
            hovertemplate="%{customdata[0]}: %{y:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=arr(by_year["school_year"]),
            y=arr(by_year["selection_rate"]),
            mode="lines+markers",
            name="Selected LEAs together",
            line={"color": OKABE_ITO["blue"], "width": 3},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=arr(by_year["school_year"]),
            y=arr(by_year["state_ood_rate"]),
            mode="lines+markers",
            name="State",
            line={"color": OKABE_ITO["black"], "dash": "dash"},
        )
    )
    fig.update_yaxes(tickformat=".0%")
    rule = column_doc("fct_out_of_district", "state_ood_rate")
    fig = layout(
        fig,
        title,
        f"Rate = {column_doc('fct_out_of_district', 'ood_rate')} {rule}",
        x="School year",
        y="Out-of-district rate (% of students)",
        drilldown=True,
    )
    return Chart("ood-trend", title, fig, rule, by_year)


def _stacked_by_year(
    chart_id: str, title: str, all_years: pl.DataFrame, columns: dict[str, str], rule: str
) -> Chart:
    if all_years.is_empty():
        return empty_chart(chart_id, title, "No LEA rosters for this selection.")
    totals = all_years.group_by("school_year").agg(pl.col(c).sum() for c in columns)
    totals = totals.sort("school_year")
    fig = new_figure()
    for i, (col, label) in enumerate(columns.items()):
        fig.add_trace(
            go.Bar(
                x=arr(totals["school_year"]),
                y=arr(totals[col]),
                name=label,
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate=f"{label}: %{{y:,}} students<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig = layout(fig, title, rule, x="School year", y="Out-of-district students")
    return Chart(chart_id, title, fig, rule, totals)


def ood_by_placement_type(all_years: pl.DataFrame) -> Chart:
    rule = "; ".join(
        f"{label}: {column_doc('fct_out_of_district', c)}"
        for c, label in (("unapproved_private", "Unapproved"), ("out_of_state", "Out of state"))
    )
    return _stacked_by_year(
        "ood-placement-type",
        "Out-of-district students by placement type",
        all_years,
        PLACEMENT_COLUMNS,
        rule,
    )


def ood_approval(all_years: pl.DataFrame) -> Chart:
    cols = {"in_approved_programs": "Approved programs", "in_unapproved_programs": "Unapproved"}
    rule = column_doc("fct_out_of_district", "in_approved_programs")
    return _stacked_by_year(
        "ood-approval",
        "Out-of-district students in approved and unapproved programs",
        all_years,
        cols,
        rule,
    )


def ood_in_out_of_state(all_years: pl.DataFrame) -> Chart:
    cols = {"ood_in_state": "In the state", "out_of_state": "Out of state"}
    rule = (
        column_doc("fct_out_of_district", "ood_in_state")
        + " "
        + column_doc("fct_out_of_district", "out_of_state")
    )
    return _stacked_by_year(
        "ood-in-out-state",
        "Out-of-district students placed in and out of the state",
        all_years,
        cols,
        rule,
    )


def indicator_5c(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """Indicator 5C per LEA against the state's."""
    title = f"Indicator 5C: separate schools, residential facilities, homebound, {school_year}"
    rows = with_names(rows.filter(pl.col("indicator_5c_rate").is_not_null()), leas)
    if rows.is_empty():
        return empty_chart("indicator-5c", title, "No school-age students for this selection.")
    rows = rows.sort("indicator_5c_rate", descending=True)
    fig = new_figure(
        go.Bar(
            x=arr(rows["lea_name"]),
            y=arr(rows["indicator_5c_rate"]),
            name="LEA",
            marker_color=OKABE_ITO["bluish_green"],
            customdata=arr(rows.select("lea_id")),
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    state = rows["state_indicator_5c_rate"][0]
    if state is not None:
        fig = reference_line(fig, state, f"state {state:.1%}")
    fig.update_yaxes(tickformat=".0%")
    rule = column_doc("fct_out_of_district", "indicator_5c_rate")
    fig = layout(fig, title, rule, y="Indicator 5C rate (% of school-age students)", drilldown=True)
    return Chart("indicator-5c", title, fig, rule, rows)
