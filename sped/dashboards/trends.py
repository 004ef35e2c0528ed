"""Every dashboard figure over all the years in force: for the state (or the LEAs a page's
filters select) and for one LEA beside its similar LEAs (`sped.dashboards.similar`: same type
and size band).

A figure over the years is a `Measure`: a ratio of two sums over the mart's rows (a rate: the
LEAs together are their numerators over their denominators, the arithmetic of the state rate),
or a count (the LEAs together are the sum; similar LEAs are their median, since a sum of other
LEAs is not on one LEA's scale). The rows are the marts' (`figures`), never recomputed
otherwise, so a trend and its page's one-year charts agree. The state's own row of a mart
(`lea_id = 'STATE'`, the LRE mart's) is left out of every sum: the LEAs' rows add up to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from sped.contracts.labels import label
from sped.dashboards import charts, figures, similar
from sped.dashboards.scope import Filters, Scope


def _students(age_group: str, *environments: str) -> pl.Expr:
    """LRE students of an age group (in the given environments, or all of them)."""
    keep = pl.col("age_group") == age_group
    if environments:
        keep = keep & pl.col("educational_environment").is_in(list(environments))
    return pl.when(keep).then(pl.col("students")).otherwise(0)


@dataclass(frozen=True)
class Measure:
    """One figure over the years: `numerator` over `denominator` summed over LEAs (a rate), or
    `numerator` alone (a count)."""

    key: str
    label: str
    figure: str  # the figures.SOURCES name its rows come from
    numerator: pl.Expr
    denominator: pl.Expr | None
    rule: str

    @property
    def kind(self) -> str:
        """How its numbers are written (`sped.dashboards.formats`)."""
        return "rate" if self.denominator is not None else "count"

    @property
    def period(self) -> str:
        return "fiscal_year" if self.figure == "proportionate_share" else "school_year"


def _spent(fund: str) -> pl.Expr:
    return pl.col(f"spent_{fund}_initial") + pl.col(f"spent_{fund}_carryover")


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "ood_rate",
            "Out-of-district rate",
            "out_of_district",
            pl.col("ood_students"),
            pl.col("students"),
            "Students placed out of district over the students on the rosters.",
        ),
        Measure(
            "indicator_5c_rate",
            "Indicator 5C",
            "out_of_district",
            pl.col("indicator_5c_students"),
            pl.col("school_age_students"),
            "School-age students in separate schools, residential facilities or homebound over "
            "school-age students.",
        ),
        Measure(
            "regular_class_80_rate",
            "Inside a regular class 80% or more of the day, ages 6-21",
            "lre_environments",
            _students("6-21", "RC80"),
            _students("6-21"),
            "Students aged 6-21 inside a regular class 80% or more of the day over students aged "
            "6-21 (Indicator 5A's environment, 34 CFR 300.114).",
        ),
        Measure(
            "separate_settings_rate",
            "Separate schools, residential facilities, homebound, ages 6-21",
            "lre_environments",
            _students("6-21", "SS", "RF", "HH"),
            _students("6-21"),
            "Students aged 6-21 in separate schools, residential facilities or homebound or "
            "hospital over students aged 6-21 (Indicator 5C's environments).",
        ),
        Measure(
            "regular_early_childhood_rate",
            "Regular early childhood program with services there, ages 3-5",
            "lre_environments",
            _students("3-5", "REC10YSVCS", "REC09YSVCS"),
            _students("3-5"),
            "Children aged 3-5 attending a regular early childhood program and receiving most of "
            "their services there over children aged 3-5 (Indicator 6A's environments).",
        ),
        Measure(
            "coverage_rate",
            "Monitoring coverage",
            "monitoring_coverage",
            pl.col("fully_covered"),
            pl.col("ood_students"),
            "Out-of-district students with a plan and countable monitoring over out-of-district "
            "students (603 CMR 28.06(3)(b)); the target is 100%.",
        ),
        Measure(
            "timely_rate",
            "Child find evaluations on time",
            "child_find",
            pl.col("evaluated_within_timeline"),
            pl.col("evaluated_with_consent"),
            "Evaluations within the state's timeline of consent over evaluations with consent "
            "(34 CFR 300.131(e), 300.301(c)).",
        ),
        Measure(
            "referred",
            "Children referred",
            "child_find",
            pl.col("referred"),
            None,
            "Parentally placed private-school children referred for evaluation (34 CFR 300.131).",
        ),
        Measure(
            "determined_eligible",
            "Children found eligible",
            "child_find",
            pl.col("determined_eligible"),
            None,
            "Parentally placed private-school children found eligible (34 CFR 300.131).",
        ),
        Measure(
            "served",
            "Children served",
            "child_find",
            pl.col("served"),
            None,
            "Parentally placed private-school children served (34 CFR 300.132).",
        ),
        Measure(
            "share_spent_rate",
            "Proportionate share spent",
            "proportionate_share",
            _spent("611") + _spent("619"),
            pl.col("required_611") + pl.col("required_619"),
            "Spending counted toward the proportionate shares (initial period and carryover "
            "year, IDEA 611 and 619) over the required shares (34 CFR 300.133).",
        ),
    )
}


def _lea_rows(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.filter(pl.col("lea_id") != "STATE") if "lea_id" in rows.columns else rows


def per_lea(rows: pl.DataFrame, m: Measure) -> pl.DataFrame:
    """period, lea_id, top, bottom (the measure's sums per LEA and period)."""
    bottom = m.denominator if m.denominator is not None else pl.lit(None, dtype=pl.Float64)
    return (
        _lea_rows(rows)
        .group_by(m.period, "lea_id")
        .agg(
            m.numerator.cast(pl.Float64).sum().alias("top"),
            bottom.cast(pl.Float64).sum().alias("bottom"),
        )
        .sort(m.period, "lea_id")
    )


def together(rows: pl.DataFrame, m: Measure) -> pl.DataFrame:
    """period, value: the LEAs of `rows` together (their ratio of sums, or their total)."""
    sums = per_lea(rows, m).group_by(m.period).agg(pl.col("top").sum(), pl.col("bottom").sum())
    value = (
        pl.when(pl.col("bottom") > 0).then(pl.col("top") / pl.col("bottom"))
        if m.denominator is not None
        else pl.col("top").cast(pl.Int64)
    )
    return sums.select(m.period, value.alias("value")).sort(m.period)


def peers_of(rows: pl.DataFrame, m: Measure, peers: list[str]) -> pl.DataFrame:
    """period, value: similar LEAs together for a rate (as `together`), their median count for
    a count."""
    mine = _lea_rows(rows).filter(pl.col("lea_id").is_in(peers))
    if m.denominator is not None:
        return together(mine, m)
    return (
        per_lea(mine, m)
        .group_by(m.period)
        .agg(pl.col("top").median().alias("value"))
        .sort(m.period)
    )


def _joined(period: str, parts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per period, one column per part's value (periods any part has)."""
    table: pl.DataFrame | None = None
    for column, part in parts.items():
        part = part.rename({"value": column})
        table = part if table is None else table.join(part, on=period, how="full", coalesce=True)
    assert table is not None
    return table.sort(period)


def _rows_of(con, scope: Scope, filters: Filters, ms: list[Measure]) -> dict[str, pl.DataFrame]:
    """Each figure the measures read, once."""
    names = dict.fromkeys(m.figure for m in ms)
    return {name: figures.figure(con, name, scope, filters) for name in names}


def selection_trend(
    con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters, keys: list[str]
) -> pl.DataFrame:
    """Each measure of `keys` (all by school year, or all by fiscal year) over every period:
    the selected LEAs together (column `<key>`) and, when the filters narrow the LEAs, the
    state (`state_<key>`)."""
    ms = [MEASURES[k] for k in keys]
    rows = _rows_of(con, scope, Filters(lea_type=filters.lea_type, county=filters.county), ms)
    parts = {m.key: together(rows[m.figure], m) for m in ms}
    if filters.lea_type or filters.county:
        every = _rows_of(con, scope, Filters(), ms)
        parts |= {f"state_{m.key}": together(every[m.figure], m) for m in ms}
    return _joined(ms[0].period, parts)


@dataclass(frozen=True)
class Peers:
    """An LEA's similar LEAs and the words for them."""

    lea_ids: list[str]
    words: str


def peers_for(con: duckdb.DuckDBPyConnection, scope: Scope, lea_id: str) -> Peers:
    """`lea_id`'s similar LEAs (`similar.similar_leas`) and the words for them ("regular
    districts with under 200 students with IEPs")."""
    every_lea = figures.out_of_district(con, scope, Filters())
    directory = figures.leas(con, scope)
    kind = directory.filter(pl.col("lea_id") == lea_id)["lea_type"]
    words = (
        f"{label('lea_type', kind[0]).lower()}s with {similar.bands(every_lea).get(lea_id, '')}"
        if kind.len()
        else ""
    )
    return Peers(similar.similar_leas(every_lea, directory, lea_id), words)


def lea_trend(
    con: duckdb.DuckDBPyConnection, scope: Scope, lea_id: str, keys: list[str], peers: Peers
) -> pl.DataFrame:
    """Each measure of `keys` (all by school year, or all by fiscal year) over every period for
    one LEA (`<key>`), its similar LEAs (`similar_<key>`) and, for a rate, the state
    (`state_<key>`)."""
    ms = [MEASURES[k] for k in keys]
    every = _rows_of(con, scope, Filters(), ms)
    parts: dict[str, pl.DataFrame] = {}
    for m in ms:
        rows = every[m.figure]
        parts[m.key] = together(rows.filter(pl.col("lea_id") == lea_id), m)
        if peers.lea_ids:
            parts[f"similar_{m.key}"] = peers_of(rows, m, peers.lea_ids)
        if m.kind == "rate":
            parts[f"state_{m.key}"] = together(rows, m)
    return _joined(ms[0].period, parts)


def selection_chart(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    filters: Filters,
    chart_id: str,
    title: str,
    keys: list[str],
    who: str,
) -> charts.Chart:
    """The chart of `selection_trend`: the selection (named `who`) and, when narrowed, the
    state, every year."""
    ms = [MEASURES[k] for k in keys]
    table = selection_trend(con, scope, filters, keys)
    return charts.trend(
        chart_id,
        title,
        table,
        [(m.key, m.label) for m in ms],
        kind=ms[0].kind,
        rule=" ".join(m.rule for m in ms),
        who=who,
    )


def lea_chart(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    lea_id: str,
    lea_name: str,
    peers: Peers,
    chart_id: str,
    title: str,
    keys: list[str],
) -> charts.Chart:
    """The chart of `lea_trend`: the LEA, its similar LEAs and (for rates) the state."""
    ms = [MEASURES[k] for k in keys]
    table = lea_trend(con, scope, lea_id, keys, peers)
    similar_words = "their median" if ms[0].kind == "count" else "all of them together"
    notes = (
        [f"Similar LEAs: {peers.words} ({len(peers.lea_ids)} LEAs; {similar_words})."]
        if peers.lea_ids
        else ["No other LEA of the same type and size band to compare with."]
    )
    return charts.trend(
        chart_id,
        f"{lea_name}: {title}",
        table,
        [(m.key, m.label) for m in ms],
        kind=ms[0].kind,
        rule=" ".join(m.rule for m in ms),
        who=lea_name,
        notes=notes,
    )
