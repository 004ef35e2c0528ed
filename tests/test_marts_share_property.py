"""Property: for random small states, the dbt mart and the independent Python implementation
(sped.figures.proportionate_share) agree on every figure of every LEA, to the cent, on which
LEAs and years have a row, and on the finding for IDEA spending with no allocation on file.

Each example is a state of up to a dozen LEAs with random children (ages 2-23, nonprofit or
not, preschools, home-schooled), rosters, subgrants, missing files and spending across every
period, including rows of the next year's grant paying the year's carryover obligation
(`applies_to_fiscal_year`, obligated around that year's carryover period, its edges included);
one dbt build per example."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sped.figures.proportionate_share import (
    PrivateChild,
    Spending,
    has_share_row,
    lea_share,
    spending_without_allocation,
)
from tests.property_builds import DBT_EXAMPLES, next_case
from tests.raw_rows import insert, new_warehouse, run_dbt

pytestmark = pytest.mark.slow

FUNDS = ["IDEA_611", "IDEA_619", "STATE", "LOCAL"]
CATEGORIES = [
    "DIRECT_SERVICES",
    "RELATED_SERVICES",
    "TRANSPORTATION",
    "MATERIALS_EQUIPMENT",
    "CHILD_FIND_EVALUATION",
]

children = st.lists(
    st.tuples(
        st.integers(2, 23),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.integers(0, 364),
        st.integers(0, 40),
    ),
    max_size=25,
)
spending = st.lists(
    st.tuples(
        st.sampled_from(FUNDS),
        st.sampled_from(CATEGORIES),
        st.integers(1, 500_000),
        st.integers(-30, 1300),
    ),
    max_size=12,
)
#: Rows of the next year's grant applying to the year: days from the first day of the year's
#: carryover period (0 to 364 inside it; a few days either side, which neither counts).
next_grant = st.lists(
    st.tuples(
        st.sampled_from(FUNDS),
        st.sampled_from(CATEGORIES),
        st.integers(1, 500_000),
        st.integers(-3, 367),
    ),
    max_size=4,
)
lea_case = st.fixed_dictionaries(
    {
        "fy": st.sampled_from([2024, 2025, 2026]),
        "children": st.one_of(st.none(), children),
        "public_school_age": st.integers(0, 400),
        "public_young": st.integers(0, 40),
        "roster": st.booleans(),
        "allocation": st.one_of(st.none(), st.tuples(st.integers(0, 10**9), st.integers(0, 10**7))),
        "spending": spending,
        "next_grant": next_grant,
        "schools": st.integers(0, 2),
    }
)
EDGE = {
    "fy": 2026,
    "children": [],
    "public_school_age": 40,
    "public_young": 4,
    "roster": True,
    "allocation": None,
    "spending": [
        ("IDEA_611", "DIRECT_SERVICES", 30_000, 40),
        ("IDEA_619", "CHILD_FIND_EVALUATION", 1_250, 40),
        ("STATE", "DIRECT_SERVICES", 9_900, 40),
    ],
    "next_grant": [],
    "schools": 1,
}
state = st.fixed_dictionaries(
    {
        "leas": st.lists(lea_case, min_size=1, max_size=12),
        "rounding": st.sampled_from(["round_at_end", "per_child_first"]),
        "home": st.booleans(),
        "as_of": st.dates(dt.date(2024, 7, 1), dt.date(2029, 1, 1)),
    }
)


def _build(path, s):
    con = new_warehouse(path)
    expected, findings = {}, {}
    for i, lea in enumerate(s["leas"]):
        lea_id = f"25{i:05d}"
        fall = lea["fy"] - 1
        year = f"{fall}-{(fall + 1) % 100:02d}"
        day = dt.date(fall, 10, 1) + dt.timedelta(days=i * 5 % 62)
        insert(
            con,
            "leas",
            [{"lea_id": lea_id, "name": "x", "county": "x", "lea_type": "REGULAR"}],
            lea_id=None,
            period="current",
        )
        insert(
            con,
            "private_schools",
            [
                {
                    "private_school_id": f"A{i:03d}{j:04d}",
                    "name": "s",
                    "lea_id": lea_id,
                    "nonprofit": True,
                    "level": "ELEMENTARY",
                }
                for j in range(lea["schools"])
            ],
            lea_id=None,
            period="current",
        )
        kids = None
        if lea["children"] is not None:
            kids = []
            rows = []
            for k, (age, nonprofit, elem, home, offset, sid) in enumerate(lea["children"]):
                birth = dt.date(day.year - age, day.month, day.day) - dt.timedelta(days=offset)
                kids.append(PrivateChild(f"c{sid}", birth, day, nonprofit, elem, home))
                rows.append(
                    {
                        "lea_id": lea_id,
                        "school_year": year,
                        "count_date": day,
                        "student_id": f"c{sid}",
                        "birth_date": birth,
                        "private_school_id": "A0000001",
                        "private_school_nonprofit": nonprofit,
                        "elementary_or_secondary": elem,
                        "home_schooled": home,
                        "resident_state": "MA",
                        "disability_category": "SLD",
                        "has_services_plan": True,
                    }
                )
                del k
            insert(con, "ppps_count", rows, lea_id=lea_id, period=year)
        roster = None
        if lea["roster"]:  # a roster is submitted, possibly with nobody on it
            roster, rows = [], []
            for n in range(lea["public_school_age"] + lea["public_young"]):
                age = 10 if n < lea["public_school_age"] else 4
                birth = dt.date(day.year - age, 1, 1)
                roster.append((f"p{n}", birth, day))
                rows.append(
                    {
                        "lea_id": lea_id,
                        "school_year": year,
                        "count_date": day,
                        "student_id": f"p{n}",
                        "birth_date": birth,
                        "grade_level": "05" if age == 10 else "PK",
                        "disability_category": "SLD",
                        "educational_environment": "RC80",
                        "placement_type": "IN_DISTRICT",
                        "placement_start_date": dt.date(fall, 9, 1),
                        "twndp_pct": 90.0,
                    }
                )
            insert(con, "placements", rows, lea_id=lea_id, period=year)
        alloc = None
        if lea["allocation"] is not None:
            alloc = (Decimal(lea["allocation"][0]) / 100, Decimal(lea["allocation"][1]) / 100)
            insert(
                con,
                "allocations",
                [
                    {
                        "lea_id": lea_id,
                        "fiscal_year": lea["fy"],
                        "idea_611_subgrant": alloc[0],
                        "idea_619_subgrant": alloc[1],
                    }
                ],
                lea_id=None,
                period=str(lea["fy"]),
            )
        spent, rows = [], []
        for n, (fund, cat, cents, days) in enumerate(lea["spending"]):
            when = dt.date(lea["fy"], 7, 1) + dt.timedelta(days=days)
            spent.append(Spending(lea["fy"], fund, cat, Decimal(cents) / 100, when))
            rows.append(
                {
                    "lea_id": lea_id,
                    "fiscal_year": lea["fy"],
                    "expenditure_id": f"E{n}",
                    "fund_source": fund,
                    "category": cat,
                    "amount": Decimal(cents) / 100,
                    "obligation_date": when,
                }
            )
        insert(con, "expenditures", rows, lea_id=lea_id, period=str(lea["fy"]))
        nxt, rows = lea["fy"] + 1, []
        for n, (fund, cat, cents, days) in enumerate(lea.get("next_grant", [])):
            when = dt.date(nxt, 10, 1) + dt.timedelta(days=days)
            spent.append(Spending(nxt, fund, cat, Decimal(cents) / 100, when, lea["fy"]))
            rows.append(
                {
                    "lea_id": lea_id,
                    "fiscal_year": nxt,
                    "expenditure_id": f"N{n}",
                    "fund_source": fund,
                    "category": cat,
                    "amount": Decimal(cents) / 100,
                    "obligation_date": when,
                    "applies_to_fiscal_year": lea["fy"],
                }
            )
        if rows:
            insert(con, "expenditures", rows, lea_id=lea_id, period=str(nxt), submission_id=2)
        for fy, label in ((lea["fy"], year), (nxt, f"{nxt - 1}-{nxt % 100:02d}")):
            unallocated = spending_without_allocation(
                allocation=alloc if fy == lea["fy"] else None,
                spending=spent,
                fiscal_year=fy,
                as_of=s["as_of"],
            )
            if unallocated is not None:
                findings[(lea_id, label)] = unallocated
        if has_share_row(  # the next year: only the next grant's rows, nothing else on file
            count_submitted=False,
            allocation=None,
            spending=spent,
            fiscal_year=nxt,
            as_of=s["as_of"],
        ):
            expected[(lea_id, nxt)] = lea_share(
                lea_id=lea_id,
                fiscal_year=nxt,
                children=None,
                roster=None,
                allocation=None,
                spending=spent,
                rounding=s["rounding"],
                count_home_schooled=s["home"],
                as_of=s["as_of"],
                private_schools_located=lea["schools"],
            )
        if not has_share_row(
            count_submitted=kids is not None,
            allocation=alloc,
            spending=spent,
            fiscal_year=lea["fy"],
            as_of=s["as_of"],
        ):
            continue  # no allocation, no count, no IDEA spending: no row
        expected[(lea_id, lea["fy"])] = lea_share(
            lea_id=lea_id,
            fiscal_year=lea["fy"],
            children=kids,
            roster=roster,
            allocation=alloc,
            spending=spent,
            rounding=s["rounding"],
            count_home_schooled=s["home"],
            as_of=s["as_of"],
            private_schools_located=lea["schools"],
        )
    con.close()
    return path, expected, findings


@DBT_EXAMPLES
@given(state)
@example(  # the edges of the two answered questions, whatever the random draws hit
    {
        "leas": [
            # a count of zero with and without roster and allocation
            {**EDGE, "children": [], "roster": False, "allocation": None},
            {**EDGE, "children": [(10, False, True, False, 0, 1)], "allocation": (10**6, 10**4)},
            {**EDGE, "children": [], "roster": False, "allocation": (10**6, 10**4)},
            # IDEA spending with no allocation and no count; with an allocation but no count
            {**EDGE, "children": None, "allocation": None},
            {**EDGE, "children": None, "allocation": (10**6, 10**4)},
            # spending with no allocation and no count, no private school located
            {**EDGE, "children": None, "allocation": None, "schools": 0},
        ],
        "rounding": "round_at_end",
        "home": False,
        "as_of": dt.date(2026, 11, 1),
    }
)
@example(
    {
        "leas": [
            # the next grant paying the carryover: the period's first and last days and the
            # days either side, child find and state funds among them
            {
                **EDGE,
                "children": [(10, True, True, False, 0, 1)],
                "allocation": (10**6, 10**4),
                "next_grant": [
                    ("IDEA_611", "DIRECT_SERVICES", 5_000, -1),
                    ("IDEA_611", "DIRECT_SERVICES", 7_000, 0),
                    ("IDEA_611", "DIRECT_SERVICES", 11_000, 364),
                    ("IDEA_619", "RELATED_SERVICES", 13_000, 365),
                ],
            },
            {
                **EDGE,
                "fy": 2024,
                "next_grant": [
                    ("IDEA_619", "CHILD_FIND_EVALUATION", 2_000, 10),
                    ("STATE", "DIRECT_SERVICES", 3_000, 10),
                    ("IDEA_619", "TRANSPORTATION", 17_000, 200),
                ],
            },
        ],
        "rounding": "round_at_end",
        "home": True,
        "as_of": dt.date(2028, 9, 30),  # FY 2026's carryover year ends: everything is known
    }
)
def test_dbt_and_python_agree_to_the_cent(tmp_path, s):
    path, target = next_case(tmp_path)
    path, expected, findings = _build(path, s)
    run_dbt(
        path,
        target,
        {
            "as_of": s["as_of"].isoformat(),
            "rounding": s["rounding"],
            "count_home_schooled": s["home"],
        },
        select="+fct_proportionate_share +fct_compliance_flags",
    )
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT * FROM marts.fct_proportionate_share").fetchall()
    cols = [d[0] for d in con.description]
    flagged = con.execute(
        "SELECT lea_id, school_year, detail FROM marts.fct_compliance_flags "
        "WHERE flag = 'IDEA_SPENDING_WITHOUT_ALLOCATION'"
    ).fetchall()
    con.close()
    assert {(lea, year) for lea, year, _ in flagged} == set(findings)
    for lea, year, detail in flagged:
        s611, s619 = findings[(lea, year)]
        assert f"IDEA 611 {s611:.2f} and IDEA 619 {s619:.2f} reported spent" in detail
    got = {(r[0], r[1]): dict(zip(cols, r, strict=True)) for r in rows}
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        for field in (
            "ppps_count_3_21",
            "public_count_3_21",
            "ppps_count_3_5",
            "public_count_3_5",
            "required_611",
            "required_619",
            "spent_611_initial",
            "spent_611_carryover",
            "spent_619_initial",
            "spent_619_carryover",
            "spent_611_next_grant",
            "spent_619_next_grant",
            "shortfall_611",
            "shortfall_619",
            "status_611",
            "status_619",
            "missing_reason",
        ):
            assert row[field] == getattr(want, field), (key, field, row[field], want)
