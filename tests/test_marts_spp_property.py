"""Property: for random small states, marts.fct_spp_indicators and the independent Python
implementation (sped.figures.spp_indicators) agree on every row: which LEAs and years have one,
every numerator, denominator, percent (unrounded), target and meets_target.

Each example is a state of up to eight LEAs over two school years with random children (ages
2-23, in kindergarten or not, in any environment), rosters missing or empty, parentally placed
children with or without a services plan (some listed twice) and random targets, some exactly
at a figure; one dbt build per example."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sped.contracts.codes import ALL_ENVIRONMENTS
from sped.figures.spp_indicators import INDICATORS, PrivateChild, RosterChild, rows
from tests.property_builds import DBT_EXAMPLES, born, mart_rows, next_case
from tests.raw_rows import insert, kid, new_warehouse, pupil, run_dbt

pytestmark = pytest.mark.slow

YEARS = ("2024-25", "2025-26")
GRADES = ["PK", "KG", "01", "05", "12"]
roster_child = st.tuples(
    st.integers(2, 23),
    st.integers(0, 364),
    st.sampled_from(GRADES),
    st.sampled_from(ALL_ENVIRONMENTS),
)
private_child = st.tuples(st.integers(2, 23), st.integers(0, 364), st.booleans(), st.integers(0, 6))
lea_year = st.fixed_dictionaries(
    {
        "roster": st.one_of(st.none(), st.lists(roster_child, max_size=30)),
        "private": st.one_of(st.none(), st.lists(private_child, max_size=8)),
        "day": st.integers(0, 61),
    }
)
state = st.fixed_dictionaries(
    {
        "leas": st.lists(
            st.fixed_dictionaries({y: lea_year for y in YEARS}), min_size=1, max_size=8
        ),
        "targets": st.dictionaries(
            st.tuples(st.sampled_from(INDICATORS), st.sampled_from(YEARS)),
            st.sampled_from([0.0, 20.0, 25.0, 50.0, 64.5, 100.0]),
        ),
        "c_direction": st.sampled_from(["at_least", "at_most"]),
    }
)
DIRECTION = {"5A": "at_least", "5B": "at_most", "5C": "at_most", "6A": "at_least", "6B": "at_most"}


def _build(path, s):
    con = new_warehouse(path)
    rosters, private = {}, {}
    for i, lea in enumerate(s["leas"]):
        lea_id = f"25{i:05d}"
        for year in YEARS:
            case = lea[year]
            day = dt.date(int(year[:4]), 10, 1) + dt.timedelta(days=case["day"])
            if case["roster"] is not None:
                kids, raw = [], []
                for n, (age, offset, grade, env) in enumerate(case["roster"]):
                    birth = born(day, age, offset)
                    kids.append(RosterChild(f"p{n}", birth, day, grade, env))
                    raw.append(
                        pupil(
                            f"p{n}",
                            birth.isoformat(),
                            lea_id,
                            school_year=year,
                            count_date=day,
                            grade_level=grade,
                            educational_environment=env,
                        )
                    )
                insert(con, "placements", raw, lea_id=lea_id, period=year)
                rosters[(lea_id, year)] = kids
            if case["private"] is not None:
                kids, raw = [], []
                for age, offset, plan, sid in case["private"]:
                    birth = born(day, age, offset)
                    kids.append(PrivateChild(f"c{sid}", birth, day, plan))
                    raw.append(
                        kid(
                            f"c{sid}",
                            birth.isoformat(),
                            lea_id,
                            school_year=year,
                            count_date=day,
                            has_services_plan=plan,
                        )
                    )
                insert(con, "ppps_count", raw, lea_id=lea_id, period=year)
                private[(lea_id, year)] = kids
    con.close()
    return rosters, private


EDGE_YEAR = {
    "roster": [(5, 0, "KG", "RC80"), (5, 0, "PK", "H"), (4, 0, "KG", "SC"), (21, 364, "12", "CF")],
    "private": [(9, 0, True, 1), (9, 0, True, 1), (9, 0, False, 2), (5, 0, True, 3)],
    "day": 0,
}


@DBT_EXAMPLES
@given(state)
@example(
    {
        "leas": [
            {
                "2024-25": {"roster": None, "private": [(9, 0, True, 1)], "day": 0},
                "2025-26": EDGE_YEAR,
            },
            {"2024-25": {"roster": [], "private": None, "day": 3}, "2025-26": EDGE_YEAR},
        ],
        # 5A of each LEA is 1 of 6 children; 6C 1 of 1 (100.0, exactly at the target)
        "targets": {("6C", "2025-26"): 100.0, ("5A", "2025-26"): 50.0, ("5C", "2024-25"): 0.0},
        "c_direction": "at_least",
    }
)
def test_dbt_and_python_agree_on_every_row(tmp_path, s):
    path, target = next_case(tmp_path)
    rosters, private = _build(path, s)
    targets = {
        (i, y): (t, DIRECTION.get(i, s["c_direction"])) for (i, y), t in s["targets"].items()
    }
    spp_targets = [
        {"indicator": i, "school_year": y, "target": t, "direction": d}
        for (i, y), (t, d) in sorted(targets.items())
    ]
    run_dbt(
        path,
        target,
        {"spp_targets": spp_targets},
        select="+fct_spp_indicators",
    )
    got_rows = mart_rows(path, "marts.fct_spp_indicators", ("lea_id", "school_year", "indicator"))
    want = {(r.lea_id, r.school_year, r.indicator): r for r in rows(rosters, private, targets)}
    assert set(got_rows) == set(want)
    for key, w in want.items():
        g = got_rows[key]
        for field in (
            "numerator",
            "denominator",
            "percent",
            "target",
            "target_direction",
            "meets_target",
        ):
            assert g[field] == getattr(w, field), (key, field, g[field], w)
