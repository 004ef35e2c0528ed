"""What the public LEA reports show (34 CFR 300.602(b)(1)(i)(A); docs/rules/spp_indicators.md):
each LEA's SPP/APR Indicators 5 and 6 for every school year in force, against the state's target
and the state's figure, read only from the suppressed `shared.shr_spp_indicators` and the LEA
directory's names. Nothing here reads a mart with counts: a visitor sees exactly what the
suppression let through, with a mark where a figure is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from sped.warehouse.schema import has_table

SHARED = "shared.shr_spp_indicators"
INDICATOR_LABELS: dict[str, str] = {
    "5A": "School age: inside the regular class 80% or more of the day",
    "5B": "School age: inside the regular class less than 40% of the day",
    "5C": "School age: separate schools, residential facilities, homebound or hospital",
    "6A": "Preschool: regular early childhood program, majority of services there",
    "6B": "Preschool: separate special education class, separate school or residential facility",
    "6C": "Preschool: services in the home",
}
POPULATION_LABELS: dict[str, str] = {
    "5": "Indicator 5: children with IEPs aged 5 in kindergarten and 6 through 21",
    "6": "Indicator 6: children with IEPs aged 3 through 5 not in kindergarten",
}
DIRECTION_WORDS = {"at_least": "at least", "at_most": "at most"}


@dataclass(frozen=True)
class Line:
    """One indicator of one year on an LEA's public report, as words and shown numbers."""

    indicator: str
    label: str
    numerator: int | None
    denominator: int | None
    percent: float | None
    suppressed: bool
    target: str
    meets_target: str
    state_percent: float | None
    state_suppressed: bool


def published(con: duckdb.DuckDBPyConnection) -> bool:
    return has_table(con, SHARED)


def leas(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(lea_id, name) of every LEA with a public report, by name."""
    if not published(con):
        return []
    return con.execute(
        f"SELECT DISTINCT s.lea_id, coalesce(d.lea_name, s.lea_id) AS name FROM {SHARED} AS s "
        "LEFT JOIN marts.dim_lea AS d USING (lea_id) WHERE s.lea_id <> 'STATE' "
        "ORDER BY name, s.lea_id"
    ).fetchall()


def _target(target: float | None, direction: str | None) -> str:
    if target is None:
        return "no target set"
    return f"{DIRECTION_WORDS.get(direction, direction)} {target:.1f}%"


def _met(value: bool | None, target: float | None, hidden: bool) -> str:
    if target is None:
        return "no target"
    if hidden:
        return "not shown (small numbers)"
    if value is None:
        return "no children"
    return "Yes" if value else "No"


def report(con: duckdb.DuckDBPyConnection, lea_id: str) -> dict[str, list[Line]]:
    """school year (newest first) -> the LEA's six indicators with the state's, from the
    suppressed table; empty when the LEA has no public report."""
    if not published(con):
        return {}
    rows = con.execute(
        f"SELECT l.school_year, l.indicator, l.numerator, l.denominator, l.percent, "
        "l.suppressed, l.target, l.target_direction, l.meets_target, s.percent, s.suppressed "
        f"FROM {SHARED} AS l LEFT JOIN {SHARED} AS s ON s.lea_id = 'STATE' "
        "AND s.school_year = l.school_year AND s.indicator = l.indicator "
        "WHERE l.lea_id = ? ORDER BY l.school_year DESC, l.indicator",
        [lea_id],
    ).fetchall()
    out: dict[str, list[Line]] = {}
    for year, ind, n, d, pct, why, target, direction, meets, state_pct, state_why in rows:
        out.setdefault(year, []).append(
            Line(
                indicator=ind,
                label=INDICATOR_LABELS.get(ind, ind),
                numerator=n,
                denominator=d,
                percent=pct,
                suppressed=why is not None,
                target=_target(target, direction),
                meets_target=_met(meets, target, why is not None),
                state_percent=state_pct,
                state_suppressed=state_why is not None,
            )
        )
    return out
