"""The submissions page's chart: the LEA x collection tracker grid."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    empty_chart,
    layout,
    new_figure,
    with_names,
)
from sped.dashboards.column_docs import column_doc

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
    rows = with_names(rows, leas)
    if rows.is_empty():
        return empty_chart("submission-tracker", title, "No submissions expected for this period.")
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
    fig = new_figure(
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
    fig = layout(fig, title, rule, x="Collection", drilldown=True)
    fig.update_layout(height=max(420, 28 * len(lea_ids) + 200))
    return Chart("submission-tracker", title, fig, rule, rows)
