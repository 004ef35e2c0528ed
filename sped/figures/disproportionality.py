"""Significant disproportionality in identification and placement, computed directly from 34 CFR
300.647 in plain Python.

A second, independent implementation of `marts.fct_significant_disproportionality`
(docs/rules/disproportionality.md): tests draw random small states and require the two to agree
on every row. Nothing here reads the warehouse; the inputs are the children on each LEA's roster
(race/ethnicity, age on the count date, disability, environment), the state's enrollment file
and the state's standards.

    risk             = children of the group with the outcome / children of the group
    risk ratio       = the group's risk / the risk of every other child of the LEA   (RR)
    alternate ratio  = the group's risk / the risk of every other child of the state (ARR),
                       when the LEA's other children are under the minimum cell or n-size
    significant      = over the threshold this year and the years before it, consecutively,
                       for at least the state's number of years

Identification counts the children aged 3-21 over the race's enrollment; placement the children
aged 6-21 in the environments over every child of the race aged 6-21 with an IEP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

RACES: tuple[str, ...] = ("AM7", "AS7", "BL7", "HI7", "MU7", "PI7", "WH7")
#: Identification (300.647(b)(3)): every disability, then the six named impairments.
IDENTIFICATION: dict[str, str | None] = {
    "ID_ALL": None,
    "ID_ID": "ID",
    "ID_SLD": "SLD",
    "ID_EMN": "EMN",
    "ID_SLI": "SLI",
    "ID_OHI": "OHI",
    "ID_AUT": "AUT",
}
#: Placement (300.647(b)(4)): the environments counted (not homebound or hospital settings,
#: correctional facilities or private schools).
PLACEMENT: dict[str, frozenset[str]] = {
    "PL_RC39": frozenset({"RC39"}),
    "PL_SEPARATE": frozenset({"SS", "RF"}),
}
CATEGORIES: tuple[str, ...] = (*IDENTIFICATION, *PLACEMENT)


@dataclass(frozen=True)
class Standards:
    """The state's standards (34 CFR 300.647(b)(1)): as the profile's `disproportionality`."""

    risk_ratio_threshold: float
    min_cell_size: int
    min_n_size: int
    consecutive_years: int


@dataclass(frozen=True)
class Child:
    """One child on an LEA's roster for a school year."""

    race_ethnicity: str | None
    age_on_count_date: int
    disability_category: str
    educational_environment: str


@dataclass(frozen=True)
class Group:
    """One group's count and total (before any ratio)."""

    lea_id: str
    school_year: str
    category: str
    race_ethnicity: str
    group_count: int
    group_total: int


@dataclass(frozen=True)
class Row:
    lea_id: str
    school_year: str
    category: str
    race_ethnicity: str
    group_count: int
    group_total: int
    comparison_count: int
    comparison_total: int
    risk: float | None
    comparison_risk: float | None
    risk_ratio: float | None
    ratio_kind: str | None
    risk_ratio_threshold: float
    exceeds_threshold: bool | None
    consecutive_years: int | None
    significant: bool | None


def _counted(child: Child, category: str) -> bool:
    """Whether a child of the roster is in a category's outcome."""
    if category in IDENTIFICATION:
        wanted = IDENTIFICATION[category]
        return 3 <= child.age_on_count_date <= 21 and (
            wanted is None or child.disability_category == wanted
        )
    return (
        6 <= child.age_on_count_date <= 21 and child.educational_environment in PLACEMENT[category]
    )


def groups(
    rosters: Mapping[tuple[str, str], Iterable[Child]],
    enrollment: Mapping[tuple[str, str, str], int],
) -> list[Group]:
    """Every group of every LEA and year with a roster: 9 categories x 7 races."""
    out = []
    for (lea_id, year), kids in rosters.items():
        kids = [k for k in kids if k.race_ethnicity in RACES]
        for category in CATEGORIES:
            for race in RACES:
                mine = [k for k in kids if k.race_ethnicity == race]
                count = sum(_counted(k, category) for k in mine)
                if category in IDENTIFICATION:
                    total = enrollment.get((lea_id, year, race), 0)
                else:
                    total = sum(6 <= k.age_on_count_date <= 21 for k in mine)
                out.append(Group(lea_id, year, category, race, count, total))
    return out


def _meets(count: int, total: int, s: Standards) -> bool:
    return count >= s.min_cell_size and total >= s.min_n_size


def rows(found: Iterable[Group], s: Standards) -> list[Row]:
    """The mart's rows from the groups: ratios, flags and consecutive years."""
    found = list(found)
    lea = defaultdict(lambda: [0, 0])
    state = defaultdict(lambda: [0, 0])
    state_race = defaultdict(lambda: [0, 0])
    for g in found:
        for table, key in (
            (lea, (g.lea_id, g.school_year, g.category)),
            (state, (g.school_year, g.category)),
            (state_race, (g.school_year, g.category, g.race_ethnicity)),
        ):
            table[key][0] += g.group_count
            table[key][1] += g.group_total
    first = []
    for g in found:
        lc, lt = lea[(g.lea_id, g.school_year, g.category)]
        sc, st = state[(g.school_year, g.category)]
        rc, rt = state_race[(g.school_year, g.category, g.race_ethnicity)]
        lea_cmp = (lc - g.group_count, lt - g.group_total)
        state_cmp = (sc - rc, st - rt)
        kind = None
        comparison = lea_cmp
        if _meets(g.group_count, g.group_total, s):
            if _meets(*lea_cmp, s):
                kind = "RR"
            elif _meets(*state_cmp, s):
                kind, comparison = "ARR", state_cmp
        cc, ct = comparison
        ratio = (g.group_count * ct) / (g.group_total * cc) if kind else None
        first.append(
            (
                g,
                cc,
                ct,
                g.group_count / g.group_total if g.group_total else None,
                cc / ct if ct else None,
                ratio,
                kind,
                None if ratio is None else ratio > s.risk_ratio_threshold,
            )
        )
    exceeded = {
        (g.lea_id, g.category, g.race_ethnicity, int(g.school_year[:4]))
        for g, *_, over in first
        if over
    }
    out = []
    for g, cc, ct, risk, crisk, ratio, kind, over in first:
        if over is None:
            run = None
        else:
            run, year = 0, int(g.school_year[:4])
            while (g.lea_id, g.category, g.race_ethnicity, year - run) in exceeded:
                run += 1
        out.append(
            Row(
                g.lea_id,
                g.school_year,
                g.category,
                g.race_ethnicity,
                g.group_count,
                g.group_total,
                cc,
                ct,
                risk,
                crisk,
                ratio,
                kind,
                float(s.risk_ratio_threshold),
                over,
                run,
                None if run is None else run >= s.consecutive_years,
            )
        )
    return out
