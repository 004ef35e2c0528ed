"""Property: for random small states, marts.fct_significant_disproportionality and the
independent Python implementation (sped.figures.disproportionality) agree on every row: which
LEAs, years, categories and races have one, every count and total, the comparison group chosen
(the LEA's or, for the alternate risk ratio, the state's), every risk and ratio (unrounded,
exactly), the flags and the consecutive years.

Each example is a state of up to six LEAs over three school years with random children (ages
2-23, any race or none, the six disabilities of 300.647(b)(3) and others, environments counted
and not), rosters missing (a gap in the years) or empty, enrollment files with races left out,
and random standards small enough for the groups to be analysed, exceed and not; the edges
(a group at exactly the minimums, one under them, an alternate ratio, three years in a row and
a gap) as an explicit example. One dbt build per example."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sped.figures.disproportionality import Child, Standards, groups, rows
from tests.property_builds import DBT_EXAMPLES, born, mart_rows, next_case
from tests.raw_rows import insert, new_warehouse, pupil, run_dbt

pytestmark = pytest.mark.slow

YEARS = ("2023-24", "2024-25", "2025-26")
RACES = ["AM7", "BL7", "HI7", "WH7", None]  # four of the seven, and a child without one
DISABILITIES = ["SLD", "SLI", "AUT", "EMN", "ID", "OHI", "DD", "TBI"]
ENVIRONMENTS = ["RC80", "RC39", "SS", "RF", "HH", "CF", "SC", "REC10YSVCS"]
child = st.tuples(
    st.sampled_from(RACES),
    st.integers(2, 23),
    st.integers(0, 364),
    st.sampled_from(DISABILITIES),
    st.sampled_from(ENVIRONMENTS),
)
lea_year = st.fixed_dictionaries(
    {
        "roster": st.one_of(st.none(), st.lists(child, max_size=40)),
        "enrolled": st.dictionaries(st.sampled_from(RACES[:4]), st.integers(0, 60)),
    }
)
state = st.fixed_dictionaries(
    {
        "leas": st.lists(
            st.fixed_dictionaries({y: lea_year for y in YEARS}), min_size=1, max_size=6
        ),
        "standards": st.builds(
            Standards,
            st.sampled_from([1.0, 1.5, 2.0, 3.0]),
            st.integers(1, 3),
            st.integers(1, 8),
            st.integers(1, 3),
        ),
    }
)


def _build(path, s) -> tuple[dict, dict]:
    con = new_warehouse(path)
    rosters, enrollment = {}, {}
    for year in YEARS:
        day = dt.date(int(year[:4]), 10, 1)
        enrolled_rows = []
        for i, lea in enumerate(s["leas"]):
            lea_id = f"25{i:05d}"
            case = lea[year]
            for race, n in sorted(case["enrolled"].items()):
                enrolled_rows.append(
                    {"lea_id": lea_id, "school_year": year, "race_ethnicity": race, "enrolled": n}
                )
                enrollment[(lea_id, year, race)] = n
            if case["roster"] is None:
                continue
            kids, raw = [], []
            for n, (race, age, offset, disability, env) in enumerate(case["roster"]):
                birth = born(day, age, offset)
                kids.append(Child(race, age, disability, env))
                raw.append(
                    pupil(
                        f"p{n}",
                        birth.isoformat(),
                        lea_id,
                        school_year=year,
                        count_date=day,
                        grade_level="05" if age > 5 else "PK",
                        disability_category=disability,
                        educational_environment=env,
                        race_ethnicity=race,
                    )
                )
            insert(con, "placements", raw, lea_id=lea_id, period=year)
            rosters[(lea_id, year)] = kids
        insert(con, "enrollment", enrolled_rows, lea_id=None, period=year)
    con.close()
    return rosters, enrollment


def _year(roster, enrolled):
    return {"roster": roster, "enrolled": enrolled}


#: The first LEA: BL7 10 of 30 in ID_ALL, exactly at the minimums 10 and 30 (two other BL7
#: children are out of the ages), over the threshold three years running. The second: WH7's
#: comparison group in the LEA (BL7, 3 children) is under the cell size, so WH7 has the
#: alternate ratio; its BL7 is under the n-size (29) in 2023-24; no roster in 2024-25 (a gap,
#: and the first LEA's comparison groups in the state then too small for an alternate ratio).
EDGE_ROSTER = [("BL7", 8, 0, "SLD", "RC39")] * 10 + [("WH7", 8, 0, "SLI", "RC80")] * 10
EDGE_ROSTER += [("BL7", 2, 0, "SLD", "SS"), ("BL7", 22, 0, "SLD", "RF"), (None, 9, 0, "ID", "SS")]
BIG = [("WH7", 9, 0, "SLD", "RC80")] * 12 + [("BL7", 9, 0, "AUT", "RC39")] * 3


@DBT_EXAMPLES
@given(state)
@example(
    {
        "leas": [
            {
                "2023-24": _year(EDGE_ROSTER, {"BL7": 30, "WH7": 400}),
                "2024-25": _year(EDGE_ROSTER, {"BL7": 30, "WH7": 400}),
                "2025-26": _year(EDGE_ROSTER, {"BL7": 30, "WH7": 400}),
            },
            {
                "2023-24": _year(BIG, {"BL7": 29, "WH7": 100}),
                "2024-25": _year(None, {}),  # no roster: a gap in the years
                "2025-26": _year(BIG, {"BL7": 30, "WH7": 100, "HI7": 5}),
            },
        ],
        "standards": Standards(3.0, 10, 30, 3),
    }
)
def test_dbt_and_python_agree_on_every_row(tmp_path, s):
    path, target = next_case(tmp_path)
    rosters, enrollment = _build(path, s)
    standards = s["standards"]
    run_dbt(
        path,
        target,
        {"disproportionality": standards.__dict__},
        select="+fct_significant_disproportionality",
    )
    key = ("lea_id", "school_year", "category", "race_ethnicity")
    got = mart_rows(path, "marts.fct_significant_disproportionality", key)
    want = {
        tuple(getattr(r, k) for k in key): r for r in rows(groups(rosters, enrollment), standards)
    }
    assert set(got) == set(want)
    for k, w in want.items():
        for field, value in w.__dict__.items():
            assert got[k][field] == value, (k, field, got[k][field], w)
    if s["standards"] == Standards(3.0, 10, 30, 3):  # the explicit example reaches its edges
        kinds = {r.ratio_kind for r in want.values()}
        assert {"RR", "ARR", None} <= kinds, kinds
        first = [want[("2500000", y, "ID_ALL", "BL7")] for y in YEARS]
        assert [(r.group_count, r.group_total) for r in first] == [(10, 30)] * 3
        assert [(r.consecutive_years, r.significant) for r in first] == [
            (1, False),
            (2, False),
            (3, True),
        ]
