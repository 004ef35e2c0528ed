"""SPP/APR Indicators 5 and 6, computed directly from the OSEP measurement table in plain Python.

A second, independent implementation of `marts.fct_spp_indicators` (docs/rules/spp_indicators.md):
tests draw random small states and require the two to agree on every row. Nothing here reads
the warehouse; the inputs are the children themselves (birth date, count date, grade,
environment), the parentally placed children and the targets.

    5A = RC80 / children of 5           6A = (REC10YSVCS + REC09YSVCS) / children of 6
    5B = RC39 / children of 5           6B = (SC + SS + RF) / children of 6
    5C = (SS + RF + HH) / children of 5 6C = H / children of 6

Indicator 5: aged 5 in kindergarten or 6-21 on the count date, on the roster, plus parentally
placed children aged 6-21 with a services plan. Indicator 6: the other children aged 3-5 on the
roster (a 3- or 4-year-old in kindergarten among them, as the environment tables count them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NUMERATORS: dict[str, tuple[str, frozenset[str]]] = {
    "5A": ("5", frozenset({"RC80"})),
    "5B": ("5", frozenset({"RC39"})),
    "5C": ("5", frozenset({"SS", "RF", "HH"})),
    "6A": ("6", frozenset({"REC10YSVCS", "REC09YSVCS"})),
    "6B": ("6", frozenset({"SC", "SS", "RF"})),
    "6C": ("6", frozenset({"H"})),
}
INDICATORS: tuple[str, ...] = tuple(NUMERATORS)
STATE = "STATE"


def age_on(birth: dt.date, on: dt.date) -> int:
    """Whole years on a date; the birthday itself counts."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class RosterChild:
    """One child on an LEA's placement roster."""

    student_id: str
    birth_date: dt.date
    count_date: dt.date
    grade_level: str | None
    educational_environment: str


@dataclass(frozen=True)
class PrivateChild:
    """One row of an LEA's parentally placed count (a child may be listed twice)."""

    student_id: str
    birth_date: dt.date
    count_date: dt.date
    has_services_plan: bool


def population(child: RosterChild) -> str | None:
    """'5' (FS002), '6' (FS089) or None (neither) for a roster child."""
    age = age_on(child.birth_date, child.count_date)
    if 6 <= age <= 21 or (age == 5 and child.grade_level == "KG"):
        return "5"
    if 3 <= age <= 5:
        return "6"
    return None


def lea_counts(
    roster: Iterable[RosterChild], private: Iterable[PrivateChild]
) -> dict[str, tuple[int, int]]:
    """indicator -> (numerator, denominator) for one LEA and school year."""
    children: dict[str, list[str]] = {"5": [], "6": []}
    for child in roster:
        pop = population(child)
        if pop is not None:
            children[pop].append(child.educational_environment)
    placed = {
        c.student_id
        for c in private
        if c.has_services_plan and 6 <= age_on(c.birth_date, c.count_date) <= 21
    }
    children["5"] += ["PPPS"] * len(placed)
    return {
        indicator: (sum(e in envs for e in children[pop]), len(children[pop]))
        for indicator, (pop, envs) in NUMERATORS.items()
    }


@dataclass(frozen=True)
class IndicatorRow:
    lea_id: str
    school_year: str
    indicator: str
    numerator: int
    denominator: int
    percent: float | None
    target: float | None
    target_direction: str | None
    meets_target: bool | None


def rows(
    rosters: Mapping[tuple[str, str], Iterable[RosterChild]],
    private: Mapping[tuple[str, str], Iterable[PrivateChild]],
    targets: Mapping[tuple[str, str], tuple[float, str]],
) -> list[IndicatorRow]:
    """Every row of the mart: `rosters` is (lea_id, school_year) -> the roster in force (an
    LEA and year have rows only with one), `private` the parentally placed counts, `targets`
    (indicator, school_year) -> (percent, direction)."""
    counts: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for key, roster in rosters.items():
        counts[key] = lea_counts(roster, private.get(key, ()))
    state: dict[tuple[str, str], dict[str, list[int]]] = {}
    for (_, year), by_indicator in counts.items():
        totals = state.setdefault((STATE, year), {i: [0, 0] for i in INDICATORS})
        for i, (n, d) in by_indicator.items():
            totals[i][0] += n
            totals[i][1] += d
    out = []
    everything = {**counts, **{k: {i: tuple(v) for i, v in t.items()} for k, t in state.items()}}
    for (lea, year), by_indicator in everything.items():
        for i, (n, d) in by_indicator.items():
            percent = n * 100 / d if d else None
            target, direction = targets.get((i, year), (None, None))
            meets = None
            if target is not None and percent is not None:
                meets = percent >= target if direction == "at_least" else percent <= target
            out.append(IndicatorRow(lea, year, i, n, d, percent, target, direction, meets))
    return out
