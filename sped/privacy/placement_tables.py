"""Which figures of the shared placement tables are hidden: one suppression over both tables.

`shr_out_of_district` shows each LEA's students, its out-of-district students (so the
in-district ones) and its Indicator 5C rate (5C students over school-age students);
`shr_lre_environments` shows its students by age group and environment, the age-group totals
and the STATE rows. Together they are one grid per LEA and school year, whose lines are

    students              = ood_students + in_district_students
    students              = age_group_students(3-5) + age_group_students(6-21)
    age_group_students(a) = sum of environment_students(a, e)
    age_group_students(6-21) = indicator_5c_students + other_school_age_students
    indicator_5c_students = environment_students(6-21, SS + RF + HH)
    other_school_age_students = environment_students(6-21, every other environment)

and every figure adds up across the LEAs of the year to a state figure that is shown (the STATE
rows, the state rates). The suppression runs once over that grid (sped/privacy/suppression.py)
and both tables are derived from its outcome, so no hidden figure can be worked back from any
combination of them (students minus the shown age groups, for one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sped.privacy.by_year import protect_years
from sped.privacy.suppression import Line

AGE_GROUPS = ("3-5", "6-21")
SCHOOL_AGE = "6-21"
INDICATOR_5C = frozenset({"SS", "RF", "HH"})

STUDENTS = ("students", None, None)
OOD = ("ood_students", None, None)
IN_DISTRICT = ("in_district_students", None, None)
FIVE_C = ("indicator_5c_students", None, None)
OTHER_SCHOOL_AGE = ("other_school_age_students", None, None)


def age_group(a: str) -> tuple[str, str, None]:
    return ("age_group_students", a, None)


#: The grid's figures the tables do not show as counts (sped/privacy/bounds.py `pinned`): the
#: in-district and other school-age students never (a reader has only their lines), the
#: Indicator 5C students only through the 5C rate, which is shown while neither it, the
#: school-age group nor the other school-age students is hidden (shr_out_of_district).
LATENT: dict[tuple, frozenset | None] = {
    IN_DISTRICT: None,
    OTHER_SCHOOL_AGE: None,
    FIVE_C: frozenset({age_group(SCHOOL_AGE), OTHER_SCHOOL_AGE}),
}


ENVIRONMENT = "environment_students"


def environment(a: str, e: str | None) -> tuple[str, str, str | None]:
    return (ENVIRONMENT, a, e)


def lines(environments: Iterable[tuple[str, str | None]]) -> list[Line]:
    """The grid's lines for a year whose LEAs report these (age group, environment) cells."""
    by_age = defaultdict(list)
    for a, e in sorted(set(environments), key=repr):
        by_age[a].append(e)
    five_c = [environment(SCHOOL_AGE, e) for e in by_age[SCHOOL_AGE] if e in INDICATOR_5C]
    other = [environment(SCHOOL_AGE, e) for e in by_age[SCHOOL_AGE] if e not in INDICATOR_5C]
    out = [
        Line(STUDENTS, (OOD, IN_DISTRICT)),
        Line(STUDENTS, tuple(age_group(a) for a in AGE_GROUPS)),
        Line(age_group(SCHOOL_AGE), (FIVE_C, OTHER_SCHOOL_AGE)),
        Line(FIVE_C, tuple(five_c)),
        Line(OTHER_SCHOOL_AGE, tuple(other)),
    ]
    out += [Line(age_group(a), tuple(environment(a, e) for e in by_age[a])) for a in AGE_GROUPS]
    return out


def year_lines(by_lea: Mapping[Any, Mapping[tuple, int]]) -> list[Line]:
    """The lines of one year's grid (LEA -> figure -> students): those of the environments its
    LEAs report."""
    return lines({(k[1], k[2]) for v in by_lea.values() for k in v if k[0] == ENVIRONMENT})


def grid(
    ood_rows: Iterable[Mapping[str, Any]], lre_rows: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, dict[tuple, int]]]:
    """school_year -> lea_id -> figure -> students, from fct_out_of_district and the LEA rows
    of fct_lre_environments."""
    values: dict[str, dict[str, dict[tuple, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in ood_rows:
        v = values[r["school_year"]][r["lea_id"]]
        v[STUDENTS] = int(r["students"])
        v[OOD] = int(r["ood_students"])
        v[IN_DISTRICT] = int(r["students"]) - int(r["ood_students"])
        v[FIVE_C] = int(r["indicator_5c_students"])
        v[OTHER_SCHOOL_AGE] = int(r["school_age_students"]) - int(r["indicator_5c_students"])
    for r in lre_rows:
        if r["lea_id"] == "STATE":
            continue
        v = values[r["school_year"]][r["lea_id"]]
        v[environment(r["age_group"], r["educational_environment"])] = int(r["students"])
        key = age_group(r["age_group"])
        v[key] = v.get(key, 0) + int(r["students"])
    return values


def hidden_figures(
    ood_rows: Iterable[Mapping[str, Any]],
    lre_rows: Iterable[Mapping[str, Any]],
    min_cell_size: int,
) -> list[dict[str, Any]]:
    """One row per hidden figure: lea_id (STATE for a state figure), school_year, figure,
    age_group, educational_environment, suppressed (SMALL_CELL or COMPLEMENTARY)."""
    out = []
    years = grid(ood_rows, lre_rows)
    results = protect_years(
        years,
        {year: year_lines(by_lea) for year, by_lea in years.items()},
        min_cell_size,
        {year: {"latent": LATENT} for year in years},
    )
    for year in sorted(years):
        result = results[year]
        hidden = [
            (lea, k, why) for lea, figures in result.hidden.items() for k, why in figures.items()
        ]
        hidden += [("STATE", k, "COMPLEMENTARY") for k in result.state_hidden]
        for lea, (figure, a, e), why in sorted(hidden, key=repr):
            out.append(
                {
                    "lea_id": lea,
                    "school_year": year,
                    "figure": figure,
                    "age_group": a,
                    "educational_environment": e,
                    "suppressed": why,
                }
            )
    return out
