"""What every dashboard chart shares: the `Chart` record, the palette and the layout helpers.

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

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.offline
import polars as pl

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
            f'<div id="chart-{self.id}" class="plotly-chart" data-figure="figure-{self.id}" '
            f'role="figure" aria-label="{html.escape(self.title, quote=True)} (its data follows '
            f'as a table)">'
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


def new_figure(*traces) -> go.Figure:
    """A figure without plotly's default template: applying a template costs 40-130 ms per
    figure (it is copied and validated), more than the page's queries; `_layout` styles it."""
    return go.Figure(data=list(traces), layout={"template": "none"})


def arr(values: pl.Series | pl.DataFrame) -> np.ndarray:
    """A column (or columns, for customdata) as a numpy array: plotly validates arrays far
    faster than lists (15 ms against 130 ms for 1,000 bars with customdata)."""
    if isinstance(values, pl.DataFrame):
        return values.to_numpy()
    if values.dtype.is_numeric() or isinstance(values.dtype, pl.Decimal):
        return values.cast(pl.Float64).to_numpy()
    return values.to_numpy()


def reference_line(
    fig: go.Figure,
    value: float,
    text: str,
    *,
    axis: str = "y",
    dash: str = "dash",
    colour: str = OKABE_ITO["black"],
) -> go.Figure:
    """A labelled reference line (the state's rate, a target): across the plot at y = `value`
    (labelled at its right end), or with `axis="x"` up the plot at x = `value` (labelled at
    its top)."""
    across = axis == "y"
    along, other = ("x", "y") if across else ("y", "x")
    fig.add_shape(
        type="line",
        **{f"{along}ref": "paper", f"{along}0": 0, f"{along}1": 1},
        **{f"{other}ref": other, f"{other}0": value, f"{other}1": value},
        line={"dash": dash, "color": colour, "width": 1.5},
    )
    fig.add_annotation(
        **{f"{along}ref": "paper", along: 1, f"{other}ref": other, other: value},
        text=text,
        showarrow=False,
        xanchor="right" if across else "left",
        yanchor="bottom" if across else "top",
    )
    return fig


def wrap(text: str, width: int = 120) -> str:
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


def subtitle(rule: str, limit: int = 150) -> str:
    """The chart's subtitle: the rule's first sentence, shortened (the page prints it whole
    under the chart)."""
    first = rule.split(". ")[0].strip()
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
    return wrap(first, 110)


def layout(
    fig: go.Figure, title: str, rule: str, *, x: str = "", y: str = "", drilldown: bool = False
) -> go.Figure:
    fig.update_layout(
        title={"text": title, "subtitle": {"text": subtitle(rule)}, "x": 0.01},
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


def with_names(rows: pl.DataFrame, leas: pl.DataFrame) -> pl.DataFrame:
    """`rows` with lea_name (the LEA id when the directory lacks it)."""
    if "lea_name" in rows.columns:
        return rows
    names = leas.select("lea_id", "lea_name") if leas.height else None
    if names is None:
        return rows.with_columns(pl.col("lea_id").alias("lea_name"))
    return rows.join(names, on="lea_id", how="left").with_columns(
        pl.coalesce("lea_name", "lea_id").alias("lea_name")
    )


def empty_chart(chart_id: str, title: str, why: str, table: pl.DataFrame | None = None) -> Chart:
    """A chart with nothing to draw that says why in words; `table` keeps the columns of the
    rows it would have drawn (so the page and its download still name them)."""
    fig = new_figure()
    fig.add_annotation(
        text=wrap(why, 70), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    table = table if table is not None else pl.DataFrame()
    fig = layout(fig, title, why)
    fig.update_layout(height=300)  # the words, not a tall blank plot
    fig.layout.annotations[0].update(font={"size": 15})
    return Chart(chart_id, title, fig, why, table)
