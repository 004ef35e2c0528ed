"""The overview page's chart: the headline figures with their change from the year before."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    layout,
)
from sped.dashboards.headlines import Headline


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
    fig = layout(
        fig,
        f"The state at a glance, {school_year}",
        "Each figure with its change from the year before (blue: better, vermillion: worse).",
    )
    fig.update_layout(height=170 * rows + 120)
    return Chart("overview", "Headline figures", fig, "", table)
