"""plotly figures for the dashboards, built from the rows `sped.dashboards.figures` returns.

Each builder takes DataFrames and returns a `Chart`: the plotly figure, the rule it implements
(the mart column's documentation from the dbt YAML, `column_docs`), and the table behind it
(downloadable as CSV/XLSX). Nothing here queries the warehouse or knows about HTTP.

Readable by colour-blind users: the Okabe-Ito palette (distinguishable under the common colour
vision deficiencies), never red against green, and every series named in a legend or axis.
Axes carry units (%, students, dollars). Every mark that belongs to one LEA carries its lea_id
in `customdata[0]`; the page turns a click on it into the LEA's page (`fig.layout.meta`
`drilldown`). Fragments are rendered with `include_plotlyjs=False`: the application serves
plotly.js itself (`write_plotlyjs`), never from a CDN.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.offline
import polars as pl
from plotly.subplots import make_subplots

from sped.contracts.codes import DISABILITY_LABELS, ENVIRONMENT_LABELS
from sped.dashboards import outliers
from sped.dashboards.column_docs import column_doc
from sped.dashboards.headlines import Headline

# Okabe & Ito (2008), "Color Universal Design": safe for deuteranopia, protanopia, tritanopia.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
PALETTE = [
    OKABE_ITO[k]
    for k in (
        "blue",
        "orange",
        "bluish_green",
        "vermillion",
        "sky_blue",
        "reddish_purple",
        "yellow",
        "black",
    )
]
FLAG_COLOURS = {
    "HIGH": OKABE_ITO["vermillion"],
    "LOW": OKABE_ITO["blue"],
    "WATCH": OKABE_ITO["orange"],
    "WITHIN": OKABE_ITO["grey"],
}
STATUS_COLOURS = {
    "MET": OKABE_ITO["bluish_green"],
    "MET_WITH_CARRYOVER": OKABE_ITO["sky_blue"],
    "OPEN": OKABE_ITO["yellow"],
    "CARRYOVER_OPEN": OKABE_ITO["orange"],
    "NOT_MET": OKABE_ITO["vermillion"],
    "NO_OBLIGATION": OKABE_ITO["grey"],
    "UNKNOWN": OKABE_ITO["black"],
}
PLACEMENT_COLUMNS = {
    "other_district": "Another district",
    "collaborative": "Collaborative",
    "approved_private_day": "Approved private day",
    "approved_private_residential": "Approved private residential",
    "unapproved_private": "Unapproved private",
    "out_of_state": "Out of state",
    "state_facility": "State facility",
}
GRID = "#DFE5EE"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class Chart:
    """One chart of a page: its id (HTML and download names), figure, rule, and data."""

    id: str
    title: str
    figure: go.Figure
    rule: str
    table: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def html(self) -> str:
        """The chart as an HTML fragment that runs no inline script: an empty plot div and the
        figure as a JSON data block, which the page's own script (`dashboards.js`, served with
        plotly.js by the application) draws. So pages keep a Content-Security-Policy of
        `script-src 'self'`; plotly's `to_html(include_plotlyjs=False)` would need an inline
        script."""
        return (
            f'<div id="chart-{self.id}" class="plotly-chart" data-figure="figure-{self.id}">'
            f"</div>\n"
            f'<script type="application/json" id="figure-{self.id}">{self.json()}</script>'
        )

    def json(self) -> str:
        """The figure (data, layout, config) as JSON safe inside an HTML data block."""
        spec = json.loads(self.figure.to_json())
        spec["config"] = PLOT_CONFIG
        try:
            text = json.dumps(spec, separators=(",", ":"), allow_nan=False)
        except ValueError:  # a NaN or infinity somewhere: null instead
            text = json.dumps(_finite(spec), separators=(",", ":"), allow_nan=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    @property
    def points(self) -> int:
        """How many data points the figure holds (0 means the chart would be empty)."""
        total = 0
        for trace in self.figure.data:
            for attr in ("x", "y", "values", "z", "value"):
                value = getattr(trace, attr, None)
                if value is not None:
                    total += len(value) if hasattr(value, "__len__") else 1
                    break
        return total


def _finite(value):
    """NaN and infinities as null: JSON.parse in the browser refuses them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def write_plotlyjs(path: Path) -> Path:
    """plotly.js, bundled with the plotly package, written where the app serves static files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    js = plotly.offline.get_plotlyjs()
    if not path.exists() or path.read_text(encoding="utf-8") != js:
        path.write_text(js, encoding="utf-8")
    return path


def _figure(*traces) -> go.Figure:
    """A figure without plotly's default template: applying a template costs 40-130 ms per
    figure (it is copied and validated), more than the page's queries; `_layout` styles it."""
    return go.Figure(data=list(traces), layout={"template": "none"})


def _arr(values: pl.Series | pl.DataFrame) -> np.ndarray:
    """A column (or columns, for customdata) as a numpy array: plotly validates arrays far
    faster than lists (15 ms against 130 ms for 1,000 bars with customdata)."""
    if isinstance(values, pl.DataFrame):
        return values.to_numpy()
    if values.dtype.is_numeric() or isinstance(values.dtype, pl.Decimal):
        return values.cast(pl.Float64).to_numpy()
    return values.to_numpy()


def _hline(fig: go.Figure, y: float, *, line_dash: str, line_color: str, annotation_text: str):
    """A reference line across the plot at `y`, labelled at its right end."""
    fig.add_shape(
        type="line",
        xref="paper",
        x0=0,
        x1=1,
        yref="y",
        y0=y,
        y1=y,
        line={"dash": line_dash, "color": line_color, "width": 1.5},
    )
    fig.add_annotation(
        xref="paper",
        x=1,
        yref="y",
        y=y,
        text=annotation_text,
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
    )
    return fig


def _vline(fig: go.Figure, x: float, *, line_dash: str, line_color: str, annotation_text: str):
    """A reference line up the plot at `x`, labelled at its top."""
    fig.add_shape(
        type="line",
        yref="paper",
        y0=0,
        y1=1,
        xref="x",
        x0=x,
        x1=x,
        line={"dash": line_dash, "color": line_color, "width": 1.5},
    )
    fig.add_annotation(
        yref="paper",
        y=1,
        xref="x",
        x=x,
        text=annotation_text,
        showarrow=False,
        xanchor="left",
        yanchor="top",
    )
    return fig


def _wrap(text: str, width: int = 120) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


def _subtitle(rule: str, limit: int = 150) -> str:
    """The chart's subtitle: the rule's first sentence, shortened (the page prints it whole
    under the chart)."""
    first = rule.split(". ")[0].strip()
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
    return _wrap(first, 110)


def _layout(
    fig: go.Figure, title: str, rule: str, *, x: str = "", y: str = "", drilldown: bool = False
) -> go.Figure:
    fig.update_layout(
        title={"text": title, "subtitle": {"text": _subtitle(rule)}, "x": 0.01},
        colorway=PALETTE,
        template="none",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 13, "color": "#2a3f5f"},
        margin={"t": 150, "l": 70, "r": 30, "b": 70},  # room for a two-line subtitle
        meta={"drilldown": drilldown},
        height=480,
    )
    axes = {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "automargin": True}
    fig.update_layout(
        xaxis={**axes, "title": {"text": x or None}},
        yaxis={**axes, "title": {"text": y or None}},
    )
    return fig


def _names(rows: pl.DataFrame, leas: pl.DataFrame) -> pl.DataFrame:
    """`rows` with lea_name (the LEA id when the directory lacks it)."""
    if "lea_name" in rows.columns:
        return rows
    names = leas.select("lea_id", "lea_name") if leas.height else None
    if names is None:
        return rows.with_columns(pl.col("lea_id").alias("lea_name"))
    return rows.join(names, on="lea_id", how="left").with_columns(
        pl.coalesce("lea_name", "lea_id").alias("lea_name")
    )


def _empty(chart_id: str, title: str, why: str) -> Chart:
    fig = _figure()
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return Chart(chart_id, title, _layout(fig, title, why), why, pl.DataFrame())


# --- overview ------------------------------------------------------------------------------


def _fmt(unit: str) -> dict:
    if unit == "rate":
        return {"valueformat": ".1%"}
    if unit == "dollars":
        return {"valueformat": "$,.0f"}
    return {"valueformat": ",.0f"}


def overview(headlines: list[Headline], school_year: str) -> Chart:
    """The headline figures with the change from the year before (increasing is marked
    orange and decreasing blue, or the reverse where lower is better: no red/green)."""
    cols = 3
    rows = math.ceil(len(headlines) / cols)
    fig = make_subplots(rows=rows, cols=cols, specs=[[{"type": "indicator"}] * cols] * rows)
    better, worse = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
    for i, h in enumerate(headlines):
        fmt = _fmt(h.unit)
        delta = {
            "reference": h.previous,
            "relative": False,
            "valueformat": ".1%" if h.unit == "rate" else fmt["valueformat"],
            "increasing": {"color": worse if h.lower_is_better else better},
            "decreasing": {"color": better if h.lower_is_better else worse},
        }
        fig.add_trace(
            go.Indicator(
                mode="number+delta" if h.previous is not None else "number",
                value=h.value if h.value is not None else float("nan"),
                number={"valueformat": fmt["valueformat"]},
                delta=delta if h.previous is not None else None,
                title={
                    "text": f"<a href='/dashboards/{h.page}'>{h.label}</a>",
                    "font": {"size": 14},
                },
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    table = pl.DataFrame(
        {
            "figure": [h.label for h in headlines],
            "value": [h.value for h in headlines],
            "previous_year": [h.previous for h in headlines],
            "change": [h.change for h in headlines],
            "unit": [h.unit for h in headlines],
            "rule": [h.rule for h in headlines],
        }
    )
    fig = _layout(
        fig,
        f"The state at a glance, {school_year}",
        "Each figure with its change from the year before (blue: better, vermillion: worse).",
    )
    fig.update_layout(height=170 * rows + 120)
    return Chart("overview", "Headline figures", fig, "", table)


# --- out of district -------------------------------------------------------------------------


def ood_distribution(rows: pl.DataFrame, school_year: str) -> Chart:
    """How LEAs' out-of-district rates are spread, with the state rate marked."""
    rows = rows.filter(pl.col("ood_rate").is_not_null())
    title = f"Out-of-district rate across LEAs, {school_year}"
    if rows.is_empty():
        return _empty("ood-distribution", title, "No LEA rosters for this selection.")
    fig = _figure(
        go.Histogram(
            x=_arr(rows["ood_rate"]),
            xbins={"size": 0.01},
            name="LEAs",
            marker_color=OKABE_ITO["sky_blue"],
            hovertemplate="%{x} : %{y} LEAs<extra></extra>",
        )
    )
    state = rows["state_ood_rate"][0]
    fig = _vline(
        fig,
        state,
        line_dash="dash",
        line_color=OKABE_ITO["black"],
        annotation_text=f"state {state:.1%}",
    )
    fig.update_xaxes(tickformat=".0%")
    rule = column_doc("fct_out_of_district", "ood_rate")
    fig = _layout(fig, title, f"Rate = {rule}", x="Out-of-district rate (% of students)", y="LEAs")
    return Chart("ood-distribution", title, fig, rule, rows)


def ood_ranking(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """Every LEA's rate against the state rate, highest first, outliers coloured."""
    rows = outliers.flag_rates(_names(rows.filter(pl.col("ood_rate").is_not_null()), leas))
    title = f"LEAs ranked by out-of-district rate, {school_year}"
    if rows.is_empty():
        return _empty("ood-ranking", title, "No LEA rosters for this selection.")
    rows = rows.sort("ood_rate", descending=True)
    fig = _figure()
    for flag_value in ("HIGH", "WATCH", "WITHIN", "LOW"):
        part = rows.filter(pl.col("outlier_flag") == flag_value)
        if part.is_empty():
            continue
        fig.add_trace(
            go.Bar(
                x=_arr(part["lea_name"]),
                y=_arr(part["ood_rate"]),
                name=flag_value.title(),
                marker_color=FLAG_COLOURS[flag_value],
                customdata=_arr(part.select("lea_id", "students", "ood_students")),
                hovertemplate="%{x}<br>%{y:.1%} (%{customdata[2]} of %{customdata[1]})"
                "<extra></extra>",
            )
        )
    state = rows["state_ood_rate"][0]
    fig = _hline(
        fig,
        state,
        line_dash="dash",
        line_color=OKABE_ITO["black"],
        annotation_text=f"state rate {state:.1%}",
    )
    fig.update_xaxes(categoryorder="array", categoryarray=rows["lea_name"].to_list())
    fig.update_yaxes(tickformat=".0%")
    fig = _layout(
        fig, title, outliers.METHOD, y="Out-of-district rate (% of students)", drilldown=True
    )
    return Chart("ood-ranking", title, fig, outliers.METHOD, rows)


def ood_funnel(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """The funnel plot: each LEA's rate against its roster size, with control limits."""
    rows = outliers.flag_rates(_names(rows.filter(pl.col("ood_rate").is_not_null()), leas))
    title = f"Out-of-district outliers (funnel plot), {school_year}"
    if rows.is_empty():
        return _empty("ood-funnel", title, "No LEA rosters for this selection.")
    p = rows["state_ood_rate"][0]
    top = max(rows["students"].max(), 10)
    grid = [max(1.0, top * (i / 200) ** 2) for i in range(1, 201)]
    fig = _figure()
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
                x=_arr(part["students"]),
                y=_arr(part["ood_rate"]),
                mode="markers",
                name=flag_value.title(),
                marker={
                    "color": FLAG_COLOURS[flag_value],
                    "size": 9,
                    "symbol": {"HIGH": "triangle-up", "LOW": "triangle-down"}.get(
                        flag_value, "circle"
                    ),
                },
                customdata=_arr(part.select("lea_id", "lea_name")),
                hovertemplate="%{customdata[1]}<br>%{y:.1%} of %{x} students<extra></extra>",
            )
        )
    fig = _hline(
        fig,
        p,
        line_dash="dash",
        line_color=OKABE_ITO["black"],
        annotation_text=f"state rate {p:.1%}",
    )
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(type="log")
    fig = _layout(
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
        return _empty("ood-trend", title, "No LEA rosters for this selection.")
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
    fig = _figure()
    fig.add_trace(
        go.Box(
            x=_arr(rows["school_year"]),
            y=_arr(rows["ood_rate"]),
            name="LEAs",
            marker_color=OKABE_ITO["sky_blue"],
            boxpoints="all",
            jitter=0.4,
            customdata=_arr(rows.select("lea_id")),
            hovertemplate="%{customdata[0]}: %{y:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=_arr(by_year["school_year"]),
            y=_arr(by_year["selection_rate"]),
            mode="lines+markers",
            name="Selected LEAs together",
            line={"color": OKABE_ITO["blue"], "width": 3},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=_arr(by_year["school_year"]),
            y=_arr(by_year["state_ood_rate"]),
            mode="lines+markers",
            name="State",
            line={"color": OKABE_ITO["black"], "dash": "dash"},
        )
    )
    fig.update_yaxes(tickformat=".0%")
    rule = column_doc("fct_out_of_district", "state_ood_rate")
    fig = _layout(
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
        return _empty(chart_id, title, "No LEA rosters for this selection.")
    totals = all_years.group_by("school_year").agg(pl.col(c).sum() for c in columns)
    totals = totals.sort("school_year")
    fig = _figure()
    for i, (col, label) in enumerate(columns.items()):
        fig.add_trace(
            go.Bar(
                x=_arr(totals["school_year"]),
                y=_arr(totals[col]),
                name=label,
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate=f"{label}: %{{y:,}} students<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig = _layout(fig, title, rule, x="School year", y="Out-of-district students")
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
    rows = _names(rows.filter(pl.col("indicator_5c_rate").is_not_null()), leas)
    if rows.is_empty():
        return _empty("indicator-5c", title, "No school-age students for this selection.")
    rows = rows.sort("indicator_5c_rate", descending=True)
    fig = _figure(
        go.Bar(
            x=_arr(rows["lea_name"]),
            y=_arr(rows["indicator_5c_rate"]),
            name="LEA",
            marker_color=OKABE_ITO["bluish_green"],
            customdata=_arr(rows.select("lea_id")),
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    state = rows["state_indicator_5c_rate"][0]
    if state is not None:
        fig = _hline(
            fig,
            state,
            line_dash="dash",
            line_color=OKABE_ITO["black"],
            annotation_text=f"state {state:.1%}",
        )
    fig.update_yaxes(tickformat=".0%")
    rule = column_doc("fct_out_of_district", "indicator_5c_rate")
    fig = _layout(
        fig, title, rule, y="Indicator 5C rate (% of school-age students)", drilldown=True
    )
    return Chart("indicator-5c", title, fig, rule, rows)


# --- proportionate share ----------------------------------------------------------------------


def share_required_vs_spent(rows: pl.DataFrame, leas: pl.DataFrame, fund: str) -> Chart:
    """Required share against counted spending (initial + carryover) per LEA, by status."""
    title = f"IDEA {fund}: required share against spending, by status"
    rows = _names(rows.filter(pl.col(f"required_{fund}") > 0), leas).with_columns(
        (pl.col(f"spent_{fund}_initial") + pl.col(f"spent_{fund}_carryover")).alias(
            f"spent_{fund}"
        ),
        pl.col(f"status_{fund}").fill_null("UNKNOWN").alias("status"),
    )
    if rows.is_empty():
        return _empty(f"share-{fund}", title, f"No LEA with a {fund} obligation in this selection.")
    fig = _figure()
    for status, colour in STATUS_COLOURS.items():
        part = rows.filter(pl.col("status") == status)
        if part.is_empty():
            continue
        fig.add_trace(
            go.Scatter(
                x=_arr(part[f"required_{fund}"].cast(pl.Float64)),
                y=_arr(part[f"spent_{fund}"].cast(pl.Float64)),
                mode="markers",
                name=status,
                marker={"color": colour, "size": 10},
                customdata=_arr(part.select("lea_id", "lea_name", "fiscal_year")),
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
    fig = _layout(
        fig,
        title,
        rule,
        x=f"Required {fund} share (dollars)",
        y="Counted spending, initial + carryover (dollars)",
        drilldown=True,
    )
    return Chart(f"share-{fund}", title, fig, rule, rows)


def share_shortfalls(rows: pl.DataFrame, leas: pl.DataFrame) -> Chart:
    """LEAs with a shortfall, largest first, 611 and 619 stacked."""
    title = "Shortfalls: required share not yet spent"
    rows = _names(
        rows.filter((pl.col("shortfall_611") > 0) | (pl.col("shortfall_619") > 0)), leas
    ).with_columns((pl.col("shortfall_611") + pl.col("shortfall_619")).alias("shortfall"))
    if rows.is_empty():
        return _empty("share-shortfalls", title, "No shortfall in this selection.")
    rows = rows.sort("shortfall", descending=True)
    labels = [f"{n} FY{y}" for n, y in zip(rows["lea_name"], rows["fiscal_year"], strict=True)]
    fig = _figure()
    for fund, colour in (("611", OKABE_ITO["blue"]), ("619", OKABE_ITO["orange"])):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=_arr(rows[f"shortfall_{fund}"].cast(pl.Float64)),
                name=f"IDEA {fund}",
                marker_color=colour,
                customdata=_arr(rows.select("lea_id", f"status_{fund}")),
                hovertemplate="%{x}<br>$%{y:,.2f} (%{customdata[1]})<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    rule = column_doc("fct_proportionate_share", "shortfall_611")
    fig = _layout(fig, title, rule, y="Shortfall (dollars)", drilldown=True)
    return Chart("share-shortfalls", title, fig, rule, rows)


def months_between(start: dt.date, end: dt.date) -> float:
    return (end - start).days / 30.4375


def share_carryover_ending(rows: pl.DataFrame, leas: pl.DataFrame, months: int) -> Chart:
    """LEAs with a shortfall whose period to spend ends within `months` of the as-of date: the
    initial period for OPEN, the carryover year for CARRYOVER_OPEN."""
    title = f"Shares still open with the spending period ending within {months} months"
    rows = _names(rows, leas)
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
        return _empty("share-ending", title, f"No open share ends within {months} months.")
    table = table.sort("months_left", "shortfall", descending=[False, True])
    fig = _figure(
        go.Bar(
            y=[
                f"{n} FY{y} {f}"
                for n, y, f in zip(
                    table["lea_name"], table["fiscal_year"], table["fund"], strict=True
                )
            ],
            x=_arr(table["shortfall"]),
            orientation="h",
            marker_color=[STATUS_COLOURS[s] for s in table["status"]],
            text=[f"{m} months left" for m in table["months_left"]],
            textposition="auto",
            customdata=_arr(table.select("lea_id", "status", "period_ends")),
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
    fig = _layout(
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
        return _empty("share-totals", title, "No proportionate-share rows for this selection.")
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
    years = [f"FY {y}" for y in totals["fiscal_year"]]
    fig = _figure()
    series = (
        ("required_611", "Required 611", OKABE_ITO["blue"]),
        ("spent_611", "Spent 611", OKABE_ITO["sky_blue"]),
        ("required_619", "Required 619", OKABE_ITO["vermillion"]),
        ("spent_619", "Spent 619", OKABE_ITO["orange"]),
    )
    for col, label, colour in series:
        fig.add_trace(
            go.Bar(
                x=years,
                y=_arr(totals[col].cast(pl.Float64)),
                name=label,
                marker_color=colour,
                hovertemplate=f"{label}: $%{{y:,.2f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    rule = column_doc("fct_proportionate_share", "spent_611_initial")
    fig = _layout(fig, title, rule, x="Federal fiscal year", y="Dollars")
    return Chart("share-totals", title, fig, rule, totals)


# --- monitoring ------------------------------------------------------------------------------


def monitoring_coverage(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """Coverage per LEA against the 100% target, lowest first."""
    title = f"Monitoring coverage of out-of-district students, {school_year}"
    rows = _names(rows.filter(pl.col("ood_students") > 0), leas).sort("coverage_rate")
    if rows.is_empty():
        return _empty("monitoring-coverage", title, "No out-of-district students here.")
    fig = _figure(
        go.Bar(
            x=_arr(rows["lea_name"]),
            y=_arr(rows["coverage_rate"]),
            name="Covered",
            marker_color=[
                OKABE_ITO["bluish_green"] if r >= 1 else OKABE_ITO["orange"]
                for r in rows["coverage_rate"]
            ],
            customdata=_arr(rows.select("lea_id", "fully_covered", "ood_students")),
            hovertemplate="%{x}: %{y:.0%} (%{customdata[1]} of %{customdata[2]})<extra></extra>",
        )
    )
    fig = _hline(
        fig, 1.0, line_dash="dash", line_color=OKABE_ITO["black"], annotation_text="target 100%"
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.08])
    rule = (
        column_doc("fct_monitoring_coverage", "coverage_rate")
        + " "
        + column_doc("fct_monitoring_coverage", "with_countable_activity")
    )
    fig = _layout(fig, title, rule, y="Students fully covered (%)", drilldown=True)
    return Chart("monitoring-coverage", title, fig, rule, rows)


def monitoring_missing(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    """What is missing per LEA: no plan; a plan but no countable monitoring."""
    title = f"Out-of-district students not fully monitored, {school_year}"
    rows = (
        _names(rows, leas)
        .with_columns(
            (pl.col("ood_students") - pl.col("with_plan")).alias("without_plan"),
            (pl.col("with_plan") - pl.col("fully_covered")).alias(
                "plan_without_countable_monitoring"
            ),
        )
        .filter((pl.col("without_plan") + pl.col("plan_without_countable_monitoring")) > 0)
    )
    if rows.is_empty():
        return _empty("monitoring-missing", title, "Every out-of-district student is covered.")
    rows = rows.sort(
        pl.col("without_plan") + pl.col("plan_without_countable_monitoring"), descending=True
    )
    fig = _figure()
    for col, label, colour in (
        ("without_plan", "No monitoring plan", OKABE_ITO["vermillion"]),
        ("plan_without_countable_monitoring", "Plan, no countable monitoring", OKABE_ITO["orange"]),
    ):
        fig.add_trace(
            go.Bar(
                x=_arr(rows["lea_name"]),
                y=_arr(rows[col]),
                name=label,
                marker_color=colour,
                customdata=_arr(rows.select("lea_id")),
                hovertemplate=f"%{{x}}: %{{y}} {label.lower()}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    rule = column_doc("fct_monitoring_coverage", "only_noncountable_activity")
    fig = _layout(fig, title, rule, y="Students", drilldown=True)
    return Chart("monitoring-missing", title, fig, rule, rows)


# --- child find ------------------------------------------------------------------------------


def child_find_funnel(rows: pl.DataFrame, label: str) -> Chart:
    title = f"Child find funnel, {label}"
    if rows.is_empty():
        return _empty("child-find-funnel", title, "No child-find log for this selection.")
    stages = (
        ("referred", "Referred"),
        ("evaluated_initial", "Evaluated (initial)"),
        ("determined_eligible", "Determined eligible"),
        ("served", "Served"),
    )
    values = [int(rows[c].sum()) for c, _ in stages]
    fig = _figure(
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
    fig = _layout(fig, title, rule, x="Children")
    table = pl.DataFrame({"stage": [n for _, n in stages], "children": values})
    return Chart("child-find-funnel", title, fig, rule, table)


def child_find_timeliness(rows: pl.DataFrame, leas: pl.DataFrame, school_year: str) -> Chart:
    title = f"Evaluations within the state's timeline, {school_year}"
    rows = _names(rows.filter(pl.col("evaluated_with_consent") > 0), leas).sort("timely_rate")
    if rows.is_empty():
        return _empty("child-find-timeliness", title, "No evaluations with a consent date here.")
    fig = _figure(
        go.Bar(
            x=_arr(rows["lea_name"]),
            y=_arr(rows["timely_rate"]),
            name="On time",
            marker_color=OKABE_ITO["blue"],
            customdata=_arr(
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
    fig = _hline(
        fig,
        total,
        line_dash="dash",
        line_color=OKABE_ITO["black"],
        annotation_text=f"all selected LEAs {total:.0%}",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.08])
    rule = column_doc("fct_child_find", "evaluated_within_timeline")
    fig = _layout(fig, title, rule, y="Evaluations on time (%)", drilldown=True)
    return Chart("child-find-timeliness", title, fig, rule, rows)


# --- LRE -----------------------------------------------------------------------------------


def lre_vs_nation(
    state: pl.DataFrame, nation: pl.DataFrame | None, age_group: str, label: str
) -> Chart:
    """The state's (or the selection's) share of students per environment against the
    nation's, for one age group."""
    chart_id = f"lre-{age_group}"
    title = f"Educational environments, ages {age_group}: {label} and the nation"
    mine = state.filter(pl.col("age_group") == age_group)
    if mine.is_empty():
        return _empty(chart_id, title, "No students of this age group in the selection.")
    if mine["lea_id"].n_unique() == 1 and "share" in mine.columns:
        mine = mine.select("educational_environment", "students", "share")  # the mart's own
    else:  # several LEAs together: their students over their age group's students
        mine = mine.group_by("educational_environment").agg(
            pl.col("students").cast(pl.Float64).sum()
        )
        mine = mine.with_columns((pl.col("students") / pl.col("students").sum()).alias("share"))
    theirs = (
        nation.filter(pl.col("age_group") == age_group)
        if nation is not None and nation.height
        else pl.DataFrame(
            schema={
                "educational_environment": pl.String,
                "share": pl.Float64,
                "school_year": pl.String,
                "source": pl.String,
            }
        )
    )
    codes = list(
        dict.fromkeys(
            [
                *theirs["educational_environment"].to_list(),
                *mine["educational_environment"].to_list(),
            ]
        )
    )
    names = [ENVIRONMENT_LABELS.get(c, c) for c in codes]
    mine_share = dict(zip(mine["educational_environment"], mine["share"], strict=True))
    their_share = dict(zip(theirs["educational_environment"], theirs["share"], strict=True))
    fig = _figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=[mine_share.get(c, 0.0) for c in codes],
            orientation="h",
            name=label,
            marker_color=OKABE_ITO["blue"],
            hovertemplate="%{y}: %{x:.1%}<extra>" + label + "</extra>",
        )
    )
    source = ""
    if theirs.height:
        year = theirs["school_year"][0]
        fig.add_trace(
            go.Bar(
                y=names,
                x=[their_share.get(c) for c in codes],
                orientation="h",
                name=f"Nation {year}",
                marker_color=OKABE_ITO["orange"],
                hovertemplate="%{y}: %{x:.1%}<extra>nation</extra>",
            )
        )
        source = f"National figures: {theirs['source'][0]} (public domain)."
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    rule = column_doc("fct_lre_environments", "share").rstrip(".") + ". "
    if nation is not None:
        rule += source or "The national reference file is not loaded."
    fig = _layout(fig, title, rule, x="Share of the age group's students (%)")
    table = pl.DataFrame(
        {
            "educational_environment": codes,
            "label": names,
            "share": [mine_share.get(c) for c in codes],
            "national_share": [their_share.get(c) for c in codes],
        }
    )
    return Chart(chart_id, title, fig, rule, table)


# --- submissions -----------------------------------------------------------------------------

TRACKER_STATES = {
    # state: (order, colour, when)
    "in force": (0, OKABE_ITO["bluish_green"], "an accepted file is in force, on time"),
    "late": (1, OKABE_ITO["sky_blue"], "in force, but the first accepted file came late"),
    "not yet due": (2, OKABE_ITO["yellow"], "expected, nothing accepted, not yet due"),
    "rejected": (3, OKABE_ITO["orange"], "files came, none accepted"),
    "overdue": (4, OKABE_ITO["vermillion"], "expected, nothing accepted, past the due date"),
    "missing": (5, OKABE_ITO["reddish_purple"], "expected, nothing received, no due date"),
    "not expected": (6, "#FFFFFF", "not expected from this LEA"),
}


def tracker_state(row: dict) -> str:
    """One cell of the submission tracker from a fct_submission_status row."""
    status, timeliness = row["submission_status"], row["timeliness"]
    if status == "IN_FORCE":
        return "late" if timeliness == "LATE" else "in force"
    if not row["expected"]:
        return "not expected"
    if status == "NONE_ACCEPTED":
        return "overdue" if timeliness == "OVERDUE" else "rejected"
    if timeliness == "OVERDUE":
        return "overdue"
    if timeliness == "NOT_YET_DUE":
        return "not yet due"
    return "missing"


def submission_tracker(rows: pl.DataFrame, leas: pl.DataFrame, period: str) -> Chart:
    """The LEA x collection grid for a period, one colour per state."""
    title = f"Submission tracker, {period}"
    rows = _names(rows, leas)
    if rows.is_empty():
        return _empty("submission-tracker", title, "No submissions expected for this period.")
    rows = rows.with_columns(
        pl.Series("tracker_state", [tracker_state(r) for r in rows.iter_rows(named=True)])
    )
    collections = sorted(rows["collection"].unique().to_list())
    lea_ids = sorted(rows["lea_id"].unique().to_list())
    names = dict(zip(rows["lea_id"], rows["lea_name"], strict=True))
    cell = {(r["lea_id"], r["collection"]): r for r in rows.iter_rows(named=True)}
    states = list(TRACKER_STATES)
    n = len(states)
    z, text, custom = [], [], []
    for lea in lea_ids:
        zr, tr, cr = [], [], []
        for c in collections:
            r = cell.get((lea, c))
            s = r["tracker_state"] if r else "not expected"
            zr.append(TRACKER_STATES[s][0])
            tr.append(s)
            cr.append(lea)  # customdata[0] of a cell: its LEA, for the drill-down
        z.append(zr)
        text.append(tr)
        custom.append(cr)
    scale = []
    for i, s in enumerate(states):
        colour = TRACKER_STATES[s][1]
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    fig = _figure(
        go.Heatmap(
            z=np.array(z),
            x=collections,
            y=np.array([names.get(lea, lea) for lea in lea_ids], dtype=object),
            text=np.array(text, dtype=object),
            customdata=np.array(custom, dtype=object)[:, :, None],
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=scale,
            xgap=2,
            ygap=2,
            # each cell's state written in it while the grid is small enough to read
            texttemplate="%{text}" if len(lea_ids) <= 60 else None,
            textfont={"size": 10},
            hovertemplate="%{y} / %{x}: %{text}<extra></extra>",
            colorbar={"tickvals": list(range(n)), "ticktext": states, "title": "state"},
        )
    )
    fig.update_yaxes(autorange="reversed")
    rule = column_doc("fct_submission_status", "timeliness")
    fig = _layout(fig, title, rule, x="Collection", drilldown=True)
    fig.update_layout(height=max(420, 28 * len(lea_ids) + 200))
    return Chart("submission-tracker", title, fig, rule, rows)


# --- one LEA -------------------------------------------------------------------------------


def lea_ood_trend(rows: pl.DataFrame, lea_name: str) -> Chart:
    """One LEA's out-of-district rate and Indicator 5C over the years against the state's."""
    title = f"{lea_name}: out-of-district rate and Indicator 5C over the years"
    rows = rows.sort("school_year")
    if rows.is_empty():
        return _empty("lea-ood", title, "No roster from this LEA.")
    fig = _figure()
    series = (
        ("ood_rate", "Out-of-district rate", OKABE_ITO["blue"], "solid"),
        ("state_ood_rate", "State out-of-district rate", OKABE_ITO["blue"], "dash"),
        ("indicator_5c_rate", "Indicator 5C", OKABE_ITO["orange"], "solid"),
        ("state_indicator_5c_rate", "State Indicator 5C", OKABE_ITO["orange"], "dash"),
    )
    for col, label, colour, dash in series:
        fig.add_trace(
            go.Scatter(
                x=_arr(rows["school_year"]),
                y=_arr(rows[col]),
                mode="lines+markers",
                name=label,
                line={"color": colour, "dash": dash},
                hovertemplate=f"{label}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    rule = column_doc("fct_out_of_district", "ood_rate")
    fig = _layout(fig, title, rule, x="School year", y="% of students")
    return Chart("lea-ood", title, fig, rule, rows)


def lea_share(rows: pl.DataFrame, lea_name: str) -> Chart:
    """One LEA's required shares and counted spending per fiscal year."""
    title = f"{lea_name}: proportionate share by fiscal year"
    if rows.is_empty():
        return _empty("lea-share", title, "No proportionate-share rows for this LEA.")
    rows = rows.sort("fiscal_year")
    years = [f"FY {y}" for y in rows["fiscal_year"]]
    fig = _figure()
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
                y=_arr(rows[col].cast(pl.Float64)),
                name=label,
                marker_color=colour,
                hovertemplate=f"{label}: $%{{y:,.2f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    rule = column_doc("fct_proportionate_share", "status_611")
    fig = _layout(fig, title, rule, x="Federal fiscal year", y="Dollars")
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
