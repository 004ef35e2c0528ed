"""The federal child count on the state's dashboards (docs/federal_files.md): the LRE page's
breakdowns of school-age children's educational environments by race/ethnicity, sex,
English-learner status and disability, and the overview's "federal files" section (each file's
edit checks for the year, and its downloads).

Both read the federal marts (`marts.fct_federal_children`) and are shown to the state team
only (the dashboard pages are the state's), so their counts are not suppressed; nothing here
is published. A snapshot published before the federal marts existed shows neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import plotly.graph_objects as go
import polars as pl

from sped.contracts.codes import (
    DISABILITY_LABELS,
    ENVIRONMENT_LABELS,
    RACE_ETHNICITY_LABELS,
    SCHOOL_AGE_ENVIRONMENTS,
    SEX_LABELS,
)
from sped.contracts.labels import CODE_SETS
from sped.dashboards.charts import PALETTE, Chart
from sped.dashboards.formats import count, prose
from sped.federal import edit_checks, files, specs
from sped.warehouse.schema import has_table

CHILDREN = "marts.fct_federal_children"
#: breakdown id -> (column of fct_federal_children, words for its codes, what it is)
BREAKDOWNS: dict[str, tuple[str, dict[str, str], str]] = {
    "race": ("race_ethnicity", RACE_ETHNICITY_LABELS, "race/ethnicity"),
    "sex": ("sex", SEX_LABELS, "sex"),
    "english-learner": (
        "english_learner",
        {"LEP": "English learner", "NLEP": "Not an English learner"},
        "English-learner status",
    ),
    "disability": ("disability_category", DISABILITY_LABELS, "disability"),
}
RULE = (
    "Share of each group's school-age children with IEPs (ages 6-21 and 5 in kindergarten, "
    "EDFacts FS002; parentally placed children left out) in each educational environment on "
    "the count date; 34 CFR 300.114-300.120, IDEA section 618."
)


def available(con: duckdb.DuckDBPyConnection) -> bool:
    return has_table(con, CHILDREN)


def lre_breakdown(con: duckdb.DuckDBPyConnection, school_year: str, breakdown: str) -> pl.DataFrame:
    """School-age children per group and environment, with each group's share in percent."""
    column, labels, _ = BREAKDOWNS[breakdown]
    rows = con.sql(
        f"SELECT {column} AS grp, educational_environment, count(*) AS students "
        f"FROM {CHILDREN} WHERE school_year = ? AND file_spec = 'FS002' "
        "AND educational_environment <> 'PPPS' GROUP BY ALL",
        params=[school_year],
    ).pl()
    if rows.is_empty():
        return pl.DataFrame(
            schema={
                "group": pl.String,
                "group_name": pl.String,
                "educational_environment": pl.String,
                "environment": pl.String,
                "students": pl.Int64,
                "percent_of_group": pl.Float64,
            }
        )
    rows = rows.with_columns(
        (100 * pl.col("students") / pl.col("students").sum().over("grp")).round(1).alias("pct")
    )
    return (
        rows.select(
            pl.col("grp").alias("group"),
            pl.col("grp").replace_strict(labels, default=pl.col("grp")).alias("group_name"),
            "educational_environment",
            pl.col("educational_environment")
            .replace_strict(ENVIRONMENT_LABELS, default=pl.col("educational_environment"))
            .alias("environment"),
            pl.col("students").cast(pl.Int64),
            pl.col("pct").alias("percent_of_group"),
        )
        .with_columns(
            pl.col("group_name").str.replace("^MISSING$", "Not given"),
        )
        .sort("group", "educational_environment")
    )


def breakdown_chart(table: pl.DataFrame, breakdown: str, school_year: str) -> Chart:
    """100% stacked bars: each group's children across the school-age environments."""
    _, _, what = BREAKDOWNS[breakdown]
    chart_id = f"lre-by-{breakdown}"
    title = f"Educational environments by {what}, statewide, ages 6-21 (and 5 in KG), {school_year}"
    fig = go.Figure()
    groups = list(dict.fromkeys(table["group_name"].to_list()))
    for i, env in enumerate(SCHOOL_AGE_ENVIRONMENTS):
        mine = table.filter(pl.col("educational_environment") == env)
        if mine.is_empty():
            continue
        share = dict(zip(mine["group_name"], mine["percent_of_group"], strict=True))
        count = dict(zip(mine["group_name"], mine["students"], strict=True))
        fig.add_trace(
            go.Bar(
                y=groups,
                x=[share.get(g, 0.0) for g in groups],
                customdata=[count.get(g, 0) for g in groups],
                orientation="h",
                name=ENVIRONMENT_LABELS.get(env, env),
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate="%{y}: %{x:.1f}% (%{customdata} students)<extra>%{fullData.name}"
                "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="stack",
        xaxis={"title": "Percent of the group's students", "ticksuffix": "%", "range": [0, 100]},
        yaxis={"title": what.capitalize(), "autorange": "reversed"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 220, "r": 20, "t": 60, "b": 120},
        height=max(320, 60 + 34 * len(groups)),
    )
    notes = [] if groups else ["No school-age student in the count of this year."]
    return Chart(chart_id, title, fig, RULE, table, notes)


def lre_breakdown_charts(con: duckdb.DuckDBPyConnection, school_year: str) -> list[Chart]:
    """The LRE page's four breakdowns (each chart's table is its download)."""
    if not available(con):
        return []
    return [breakdown_chart(lre_breakdown(con, school_year, b), b, school_year) for b in BREAKDOWNS]


@dataclass(frozen=True)
class CheckLine:
    """One edit check as the overview shows it: what it checks in words (no repository path,
    no column name, ages in words), whether it passed, and the records that break it with
    their unit ("0 records")."""

    description: str
    passed: bool
    failures: str

    @classmethod
    def of(cls, check: edit_checks.CheckResult) -> CheckLine:
        n = check.failures
        return cls(in_words(check.description), check.passed, f"{count(n)} record{'s' * (n != 1)}")


_AGE_CODE = re.compile(rf"\b({'|'.join(CODE_SETS['edfacts_age'])})\b")


def in_words(description: str) -> str:
    """A check's description for a page: `prose`, and the EDFacts age codes in words."""
    return _AGE_CODE.sub(lambda m: CODE_SETS["edfacts_age"][m.group(1)], prose(description))


@dataclass
class FederalFile:
    """One federal file of a year on the overview: why it cannot be written, or its checks."""

    code: str
    title: str
    refusal: str | None
    checks: list[CheckLine] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.refusal is None and all(c.passed for c in self.checks)


def federal_files(con: duckdb.DuckDBPyConnection, school_year: str) -> list[FederalFile]:
    """FS002 and FS089 of the year: each refused (and why) or with its edit checks."""
    if not available(con):
        return []
    why = files.refusal(con, school_year)
    out = []
    for spec in specs.SPECS.values():
        checks = [] if why else edit_checks.run(con, school_year, spec.code)
        # a check's description names its rules page in the repository: a page says it in words
        out.append(FederalFile(spec.code, spec.title, why, [CheckLine.of(c) for c in checks]))
    return out


def file_bytes(
    con: duckdb.DuckDBPyConnection,
    code: str,
    level: str,
    school_year: str,
    state_code: str,
    fips: str,
) -> tuple[str, bytes]:
    """(file name, bytes) of a federal file whose checks all pass; raises files.Refused with
    the reason otherwise (the download offers only what `sped edfacts` would write unforced)."""
    spec = specs.get(code)
    why = files.refusal(con, school_year)
    if why:
        raise files.Refused(why)
    failed = [c.name for c in edit_checks.run(con, school_year, spec.code) if not c.passed]
    if failed:
        raise files.Refused(f"edit checks failed: {', '.join(failed)}")
    rows = files.records(con, spec, school_year, level)
    name = files.file_name(spec, level, state_code)
    return name, files.render(rows, spec, level, school_year, state_code, fips)
