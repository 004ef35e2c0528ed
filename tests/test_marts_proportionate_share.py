"""fct_proportionate_share against the regulation's own arithmetic, case by case
(34 CFR 300.133; docs/rules/proportionate_share.md). One warehouse holds every case as its own
LEA; dbt runs once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from tests.raw_rows import COUNT_DAY, insert, kid, new_warehouse, pupil, run_dbt

D = Decimal
pytestmark = pytest.mark.slow


def spend(lea, fy, fund, cat, amount, day, n):
    return {
        "lea_id": lea,
        "fiscal_year": fy,
        "expenditure_id": f"E{n}",
        "fund_source": fund,
        "category": cat,
        "amount": D(amount),
        "obligation_date": dt.date.fromisoformat(day),
    }


@pytest.fixture(scope="module")
def share(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("share")
    con = new_warehouse(root / "w.duckdb")
    leas = ["2500010", "2500020", "2500030", "2500040", "2500050"]
    insert(
        con,
        "leas",
        [{"lea_id": lea, "name": lea, "county": "X", "lea_type": "REGULAR"} for lea in leas],
        lea_id=None,
        period="current",
    )
    insert(
        con,
        "private_schools",
        [
            {
                "private_school_id": f"A000000{i}",
                "name": "s",
                "lea_id": lea,
                "nonprofit": True,
                "level": "ELEMENTARY",
            }
            for i, lea in enumerate(["2500010", "2500020", "2500030", "2500040"])
        ],
        lea_id=None,
        period="current",
    )
    # LEA A: every counting rule on the fall 2025 count (FY 2026)
    insert(
        con,
        "ppps_count",
        [
            kid("k3", "2022-10-01", "2500010"),  # 3 on the count date (birthday): counts
            kid("k2", "2022-10-02", "2500010"),  # 2: too young
            kid("k5", "2020-10-01", "2500010"),  # 5 in an elementary school: counts (3-5 too)
            kid(
                "k4pre", "2021-05-01", "2500010", elementary_or_secondary=False
            ),  # 4 in a stand-alone preschool: no
            kid(
                "k6", "2019-10-01", "2500010", elementary_or_secondary=False
            ),  # 6: the preschool rule is for 3-5 only
            kid("k21", "2004-10-01", "2500010"),  # 21: counts
            kid("k22", "2003-10-01", "2500010"),  # 22: too old
            kid(
                "kfp", "2015-01-01", "2500010", private_school_nonprofit=False
            ),  # for-profit school: no
            kid(
                "khome", "2015-01-01", "2500010", private_school_nonprofit=False, home_schooled=True
            ),  # home-schooled: per option
            kid(
                "knh", "2015-01-01", "2500010", resident_state="NH"
            ),  # out-of-state resident: counts
            kid("ktwice", "2015-01-01", "2500010"),
            kid("ktwice", "2015-01-01", "2500010"),  # listed twice: once
        ],
        lea_id="2500010",
        period="2025-26",
    )
    insert(
        con,
        "placements",
        [pupil(f"p{i}", "2015-01-01", "2500010") for i in range(90)]
        + [pupil(f"y{i}", "2021-01-01", "2500010") for i in range(8)],
        lea_id="2500010",
        period="2025-26",
    )
    insert(
        con,
        "allocations",
        [
            {
                "lea_id": lea,
                "fiscal_year": 2026,
                "idea_611_subgrant": D("10000.00"),
                "idea_619_subgrant": D("2000.00"),
            }
            for lea in ("2500010", "2500030", "2500040", "2500050")
        ]
        + [
            {
                "lea_id": "2500020",
                "fiscal_year": 2024,
                "idea_611_subgrant": D("10000.00"),
                "idea_619_subgrant": D("0.00"),
            }
        ],
        lea_id=None,
        period="2026",
    )
    insert(
        con,
        "expenditures",
        [
            spend("2500010", 2026, "IDEA_611", "DIRECT_SERVICES", "100.00", "2026-07-01", 1),
            spend("2500010", 2026, "IDEA_611", "TRANSPORTATION", "50.00", "2026-10-31", 2),
            spend("2500010", 2026, "IDEA_611", "CHILD_FIND_EVALUATION", "999.00", "2026-08-01", 3),
            spend("2500010", 2026, "STATE", "DIRECT_SERVICES", "999.00", "2026-08-01", 4),
            spend("2500010", 2026, "LOCAL", "DIRECT_SERVICES", "999.00", "2026-08-01", 5),
            spend("2500010", 2026, "IDEA_611", "DIRECT_SERVICES", "999.00", "2026-11-02", 6),
        ],
        lea_id="2500010",
        period="2026",
    )
    # LEA B: the fall 2023 count (FY 2024): initial period, carryover year, after it
    insert(
        con,
        "ppps_count",
        [
            kid(
                f"b{i}",
                "2015-01-01",
                "2500020",
                school_year="2023-24",
                count_date=dt.date(2023, 12, 1),
            )
            for i in range(10)
        ],
        lea_id="2500020",
        period="2023-24",
    )
    insert(
        con,
        "placements",
        [
            pupil(
                f"b{i}",
                "2012-01-01",
                "2500020",
                school_year="2023-24",
                count_date=dt.date(2023, 12, 1),
            )
            for i in range(90)
        ],
        lea_id="2500020",
        period="2023-24",
    )
    insert(
        con,
        "expenditures",
        [
            spend("2500020", 2024, "IDEA_611", "DIRECT_SERVICES", "600.00", "2025-09-30", 1),
            spend("2500020", 2024, "IDEA_611", "RELATED_SERVICES", "300.00", "2025-10-01", 2),
            spend("2500020", 2024, "IDEA_611", "DIRECT_SERVICES", "500.00", "2026-10-01", 3),
        ],
        lea_id="2500020",
        period="2024",
    )
    # LEA C: children counted but no allocation; LEA D: allocation but no count although a
    # private school is located there; LEA E: no private school, no count
    insert(
        con,
        "ppps_count",
        [kid("c1", "2015-01-01", "2500030")],
        lea_id="2500030",
        period="2025-26",
    )
    con.execute("DELETE FROM raw.allocations WHERE lea_id = '2500030'")
    for lea in ("2500030", "2500040", "2500050"):
        insert(
            con, "placements", [pupil(f"{lea}x", "2015-01-01", lea)], lea_id=lea, period="2025-26"
        )
    con.close()
    run_dbt(
        root / "w.duckdb",
        root / "target",
        {"as_of": "2026-11-01", "rounding": "round_at_end", "count_home_schooled": True},
        select="+fct_proportionate_share",
    )
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    rows = con.execute("SELECT * FROM marts.fct_proportionate_share").fetchall()
    cols = [d[0] for d in con.description]
    con.close()
    return {f"{r[0]}/{r[1]}": dict(zip(cols, r, strict=True)) for r in rows}


def test_counting_rules_ages_schools_and_duplicates(share):
    a = share["2500010/2026"]
    # k3, k5, k6, k21, khome, knh, ktwice
    assert a["ppps_count_3_21"] == 7
    assert a["ppps_count_3_5"] == 2  # k3, k5
    assert a["public_count_3_21"] == 98 and a["public_count_3_5"] == 8


def test_fall_2025_count_sets_the_fy_2026_obligation(share):
    a = share["2500010/2026"]
    assert (a["count_school_year"], a["count_date"]) == ("2025-26", COUNT_DAY)


def test_required_amounts_exact_to_the_cent(share):
    a = share["2500010/2026"]
    assert a["required_611"] == D("666.67")  # 10000 * 7 / 105
    assert a["required_619"] == D("400.00")  # 2000 * 2 / 10


def test_what_counts_as_spending(share):
    a = share["2500010/2026"]
    # direct services and transportation count; child find, state and local funds do not;
    # an obligation after the as-of date is not yet known
    assert a["spent_611_initial"] == D("150.00")
    assert a["shortfall_611"] == D("516.67")
    assert a["status_611"] == "OPEN"


def test_spending_in_the_initial_period_the_carryover_year_and_after(share):
    b = share["2500020/2024"]
    assert b["required_611"] == D("1000.00")  # 10000 * 10 / 100
    assert b["spent_611_initial"] == D("600.00")
    assert b["spent_611_carryover"] == D("300.00")  # 2026-10-01 is after the carryover year
    assert b["shortfall_611"] == D("100.00")
    assert b["status_611"] == "NOT_MET"
    assert b["status_619"] == "NO_OBLIGATION"


def test_missing_inputs_are_null_with_a_reason(share):
    c = share["2500030/2026"]
    assert c["ppps_count_3_21"] == 1
    assert c["required_611"] is None and c["status_611"] is None
    assert c["missing_reason"] == "no allocation loaded"
    d = share["2500040/2026"]
    assert d["required_611"] is None and d["missing_reason"] == "no PPPS count submitted"


def test_no_private_school_located_means_no_obligation(share):
    e = share["2500050/2026"]
    assert e["ppps_count_source"] == "NO_PRIVATE_SCHOOL_LOCATED"
    assert e["ppps_count_3_21"] == 0 and e["required_611"] == D("0.00")
    assert e["status_611"] == "NO_OBLIGATION" and e["missing_reason"] is None
