"""SPP/APR Indicators 5 and 6 as shown beyond the state team: the public LEA reports, auditors
and the figures API (docs/rules/spp_indicators.md).

Per LEA and school year `marts.fct_spp_indicators` holds, for each population (5 and 6), a
denominator and three numerators. Indicator 5's children are the roster's school-age children
(the 6-21 age group of `fct_lre_environments`) plus the parentally placed children with a
services plan; Indicator 6's are the roster's 3-5 age group. So the grid of one LEA and year is

    denominator(5) = school_age(5) + parentally_placed(5)
    school_age(5)  = numerator(5A) + numerator(5B) + numerator(5C) + rest(5)
    denominator(6) = numerator(6A) + numerator(6B) + numerator(6C) + rest(6)

(a rest: the children in no numerator, which a reader can compute) and every figure adds up
across the LEAs of the year to the state's (the STATE rows). One suppression over that grid
(sped/privacy/suppression.py: small cells, complementary cells, LEAs paired so that no state
total minus the shown LEAs gives a hidden figure) decides what is hidden. Auditors also read the
shared placement tables, which show the roster's cells (school_age(5), the rests, the
numerators as environment cells): so every figure those tables hide is hidden here from the
start (`seed`, from shr_suppression), and the figures they show are never chosen as
complements while another is (`avoid`), so that what protects a figure here is hidden there
too. A percent is shown only when its numerator and its denominator both are, and
`meets_target` only with its percent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sped.privacy.by_year import protect_years
from sped.privacy.suppression import SMALL_CELL, Line

POPULATIONS: dict[str, tuple[str, ...]] = {"5": ("5A", "5B", "5C"), "6": ("6A", "6B", "6C")}
POPULATION_OF = {i: p for p, indicators in POPULATIONS.items() for i in indicators}
STATE = "STATE"
SHARED_COLUMNS = (
    "lea_id",
    "school_year",
    "indicator",
    "numerator",
    "denominator",
    "percent",
    "target",
    "target_direction",
    "meets_target",
    "suppressed",
)


def denominator(population: str) -> tuple[str, str]:
    return ("denominator", population)


def numerator(indicator: str) -> tuple[str, str]:
    return ("numerator", indicator)


def rest(population: str) -> tuple[str, str]:
    return ("rest", population)


SCHOOL_AGE = ("school_age", "5")
PARENTALLY_PLACED = ("parentally_placed", "5")
LINES = [
    Line(denominator("5"), (SCHOOL_AGE, PARENTALLY_PLACED)),
    Line(SCHOOL_AGE, (*(numerator(i) for i in POPULATIONS["5"]), rest("5"))),
    Line(denominator("6"), (*(numerator(i) for i in POPULATIONS["6"]), rest("6"))),
]
#: The environment cells of fct_lre_environments (age group, environments) each figure sums.
NUMERATOR_CELLS: dict[str, tuple[str, frozenset[str]]] = {
    "5A": ("6-21", frozenset({"RC80"})),
    "5B": ("6-21", frozenset({"RC39"})),
    "5C": ("6-21", frozenset({"SS", "RF", "HH"})),
    "6A": ("3-5", frozenset({"REC10YSVCS", "REC09YSVCS"})),
    "6B": ("3-5", frozenset({"SC", "SS", "RF"})),
    "6C": ("3-5", frozenset({"H"})),
}
POPULATION_OF_AGE = {"6-21": "5", "3-5": "6"}
#: What auditors read in the shared placement tables: never a complement here if avoidable.
SHOWN_ELSEWHERE = frozenset({SCHOOL_AGE, rest("5"), rest("6")})


def grid(
    rows: Iterable[Mapping[str, Any]], lre_rows: Iterable[Mapping[str, Any]] | None = None
) -> dict[str, dict[str, dict[tuple, int]]]:
    """school_year -> lea_id -> figure -> children, from the LEA rows of fct_spp_indicators and
    of fct_lre_environments (the roster's school-age children; without them, every child of
    Indicator 5 is taken for a roster child)."""
    values: dict[str, dict[str, dict[tuple, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r["lea_id"] == STATE:
            continue
        v = values[r["school_year"]][r["lea_id"]]
        p = POPULATION_OF[r["indicator"]]
        v[numerator(r["indicator"])] = int(r["numerator"])
        v[denominator(p)] = int(r["denominator"])
    school_age: dict[tuple[str, str], int] = defaultdict(int)
    for r in lre_rows or ():
        if r["lea_id"] != STATE and r["age_group"] == "6-21":
            school_age[(r["school_year"], r["lea_id"])] += int(r["students"])
    for year, by_lea in values.items():
        for lea, v in by_lea.items():
            d5 = v.get(denominator("5"), 0)
            roster = school_age[(year, lea)] if lre_rows is not None else d5
            v[SCHOOL_AGE] = roster
            v[PARENTALLY_PLACED] = d5 - roster
            v[rest("5")] = roster - sum(v.get(numerator(i), 0) for i in POPULATIONS["5"])
            v[rest("6")] = v.get(denominator("6"), 0) - sum(
                v.get(numerator(i), 0) for i in POPULATIONS["6"]
            )
    return values


def hidden_elsewhere(placement_hidden: Iterable[Mapping[str, Any]]) -> dict[tuple, set[tuple]]:
    """(school_year, lea_id or STATE) -> the figures of this grid that shr_suppression (the
    shared placement tables) hides, in whole or in part."""
    out: dict[tuple, set[tuple]] = defaultdict(set)
    for r in placement_hidden:
        unit = (r["school_year"], r["lea_id"])
        figure, a, e = r["figure"], r["age_group"], r["educational_environment"]
        if figure == "age_group_students" and a == "6-21":
            out[unit] |= {SCHOOL_AGE, denominator("5")}
        elif figure == "age_group_students" and a == "3-5":
            out[unit].add(denominator("6"))
        elif figure == "indicator_5c_students":
            out[unit].add(numerator("5C"))
        elif figure == "other_school_age_students":
            out[unit].add(rest("5"))
        elif figure == "environment_students":
            cells = [i for i, (g, envs) in NUMERATOR_CELLS.items() if g == a and e in envs]
            out[unit] |= {numerator(i) for i in cells} or {rest(POPULATION_OF_AGE[a])}
    return out


def hidden(
    rows: Iterable[Mapping[str, Any]],
    min_cell_size: int,
    lre_rows: Iterable[Mapping[str, Any]] | None = None,
    placement_hidden: Iterable[Mapping[str, Any]] = (),
) -> dict[tuple, str]:
    """(school_year, lea_id or STATE, figure) -> SMALL_CELL or COMPLEMENTARY, for every hidden
    figure."""
    out: dict[tuple, str] = {}
    elsewhere = hidden_elsewhere(placement_hidden)
    years = grid(rows, lre_rows)
    options = {
        year: {
            "seed": {lea: elsewhere.get((year, lea), set()) for lea in by_lea},
            "avoid": SHOWN_ELSEWHERE,
        }
        for year, by_lea in years.items()
    }
    results = protect_years(years, dict.fromkeys(years, LINES), min_cell_size, options)
    for year in years:
        result = results[year]
        for lea, figures in result.hidden.items():
            for k, why in figures.items():
                out[(year, lea, k)] = why
        for k in result.state_hidden | elsewhere.get((year, STATE), set()):
            out[(year, STATE, k)] = "COMPLEMENTARY"
    return out


def shared_rows(
    rows: Iterable[Mapping[str, Any]],
    min_cell_size: int,
    lre_rows: Iterable[Mapping[str, Any]] | None = None,
    placement_hidden: Iterable[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """fct_spp_indicators as shown beyond the state team: a hidden numerator or denominator is
    None, and so are the percent and meets_target unless both are shown; `suppressed` says why
    the row hides something (SMALL_CELL when one of its hidden figures is a small cell,
    otherwise COMPLEMENTARY; None when it hides nothing)."""
    rows = list(rows)
    why = hidden(rows, min_cell_size, lre_rows, placement_hidden)
    out = []
    for r in rows:
        year, lea, indicator = r["school_year"], r["lea_id"], r["indicator"]
        reasons = [
            why.get((year, lea, numerator(indicator))),
            why.get((year, lea, denominator(POPULATION_OF[indicator]))),
        ]
        n_hidden, d_hidden = (x is not None for x in reasons)
        shown = not (n_hidden or d_hidden)
        row = {c: r.get(c) for c in SHARED_COLUMNS}
        row["numerator"] = None if n_hidden else r["numerator"]
        row["denominator"] = None if d_hidden else r["denominator"]
        row["percent"] = r["percent"] if shown else None
        row["meets_target"] = r["meets_target"] if shown else None
        row["suppressed"] = (
            None if shown else SMALL_CELL if SMALL_CELL in reasons else "COMPLEMENTARY"
        )
        out.append(row)
    return out
