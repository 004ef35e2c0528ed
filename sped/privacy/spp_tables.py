"""SPP/APR Indicators 5 and 6 as shown beyond the state team: the public LEA reports, auditors
and the figures API (docs/rules/spp_indicators.md).

Per LEA and school year `marts.fct_spp_indicators` holds, for each population (5 and 6), a
denominator and three numerators; what is left of the population (the children in no
numerator: RC79TO40, CF and PPPS in 5; the other early-childhood settings in 6) is the
denominator minus the three, which any reader can compute. So the grid of one LEA and year is

    denominator(5) = numerator(5A) + numerator(5B) + numerator(5C) + rest(5)
    denominator(6) = numerator(6A) + numerator(6B) + numerator(6C) + rest(6)

and every figure adds up across the LEAs of the year to the state's (the STATE rows). One
suppression over that grid (sped/privacy/suppression.py: small cells, complementary cells, LEAs
paired so that no state total minus the shown LEAs gives a hidden figure) decides what is hidden;
a percent is shown only when its numerator and its denominator both are, and `meets_target`
only with its percent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sped.privacy.suppression import SMALL_CELL, Line, protect

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


LINES = [
    Line(denominator(p), (*(numerator(i) for i in indicators), rest(p)))
    for p, indicators in POPULATIONS.items()
]


def grid(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[tuple, int]]]:
    """school_year -> lea_id -> figure -> children, from the LEA rows of fct_spp_indicators."""
    values: dict[str, dict[str, dict[tuple, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r["lea_id"] == STATE:
            continue
        v = values[r["school_year"]][r["lea_id"]]
        p = POPULATION_OF[r["indicator"]]
        v[numerator(r["indicator"])] = int(r["numerator"])
        v[denominator(p)] = int(r["denominator"])
    for by_lea in values.values():
        for v in by_lea.values():
            for p, indicators in POPULATIONS.items():
                if denominator(p) in v:
                    v[rest(p)] = v[denominator(p)] - sum(v.get(numerator(i), 0) for i in indicators)
    return values


def hidden(rows: Iterable[Mapping[str, Any]], min_cell_size: int) -> dict[tuple, str]:
    """(school_year, lea_id or STATE, figure) -> SMALL_CELL or COMPLEMENTARY, for every hidden
    figure."""
    out: dict[tuple, str] = {}
    for year, by_lea in grid(rows).items():
        result = protect(by_lea, LINES, min_cell_size)
        for lea, figures in result.hidden.items():
            for k, why in figures.items():
                out[(year, lea, k)] = why
        for k in result.state_hidden:
            out[(year, STATE, k)] = "COMPLEMENTARY"
    return out


def shared_rows(rows: Iterable[Mapping[str, Any]], min_cell_size: int) -> list[dict[str, Any]]:
    """fct_spp_indicators as shown beyond the state team: a hidden numerator or denominator is
    None, and so are the percent and meets_target unless both are shown; `suppressed` says why
    the row hides something (SMALL_CELL when one of its hidden figures is a small cell,
    otherwise COMPLEMENTARY; None when it hides nothing)."""
    rows = list(rows)
    why = hidden(rows, min_cell_size)
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
