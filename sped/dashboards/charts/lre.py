"""The LRE page's chart: educational environments of the selection against the nation."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from sped.contracts.codes import ENVIRONMENT_LABELS
from sped.dashboards.charts.base import (
    OKABE_ITO,
    Chart,
    empty_chart,
    layout,
    new_figure,
)
from sped.dashboards.column_docs import column_doc


def lre_vs_nation(
    state: pl.DataFrame, nation: pl.DataFrame | None, age_group: str, label: str
) -> Chart:
    """The state's (or the selection's) share of students per environment against the
    nation's, for one age group."""
    chart_id = f"lre-{age_group}"
    title = f"Educational environments, ages {age_group}: {label} and the nation"
    mine = state.filter(pl.col("age_group") == age_group)
    if mine.is_empty():
        return empty_chart(chart_id, title, "No students of this age group in the selection.")
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
    fig = new_figure()
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
    fig = layout(fig, title, rule, x="Share of the age group's students (%)")
    table = pl.DataFrame(
        {
            "educational_environment": codes,
            "label": names,
            "share": [mine_share.get(c) for c in codes],
            "national_share": [their_share.get(c) for c in codes],
        }
    )
    return Chart(chart_id, title, fig, rule, table)
