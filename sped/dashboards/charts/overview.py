"""The overview page's chart: the headline figures with their change from the year before."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from sped.dashboards import formats
from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    layout,
)
from sped.dashboards.headlines import KINDS, Headline


def _indicator(h: Headline) -> dict:
    """A headline's number and change as plotly draws them, in the cards' units
    (`sped.dashboards.formats`): a rate as a percentage with one decimal and its change in
    percentage points, money in dollars and cents, counts whole."""
    scale = 100.0 if h.unit == "rate" else 1.0
    value = h.value * scale if h.value is not None else float("nan")
    previous = h.previous * scale if h.previous is not None else None
    if h.unit == "rate":
        number = {"valueformat": ".1f", "suffix": "%"}
        delta_format = {"valueformat": ".1f", "suffix": " percentage points"}
    else:
        kind = KINDS[h.unit]
        number = {"valueformat": formats.D3[kind]}
        delta_format = {"valueformat": formats.D3[kind]}
    return {"value": value, "previous": previous, "number": number, "delta": delta_format}


def overview(headlines: list[Headline], school_year: str, label: str = "The state") -> Chart:
    """The headline figures with the change from the year before (increasing is marked
    orange and decreasing blue, or the reverse where lower is better: no red/green)."""
    cols = 3
    rows = math.ceil(len(headlines) / cols)
    fig = make_subplots(rows=rows, cols=cols, specs=[[{"type": "indicator"}] * cols] * rows)
    better, worse = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
    for i, h in enumerate(headlines):
        shown = _indicator(h)
        delta = {
            "reference": shown["previous"],
            "relative": False,
            **shown["delta"],
            "increasing": {"color": worse if h.lower_is_better else better},
            "decreasing": {"color": better if h.lower_is_better else worse},
        }
        fig.add_trace(
            go.Indicator(
                mode="number+delta" if h.previous is not None else "number",
                value=shown["value"],
                number=shown["number"],
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
    fig = layout(
        fig,
        f"{label} at a glance, {school_year}",
        "Each figure with its change from the year before (blue: better, vermillion: worse).",
    )
    fig.update_layout(height=170 * rows + 120)
    return Chart("overview", "Headline figures", fig, "", table)
