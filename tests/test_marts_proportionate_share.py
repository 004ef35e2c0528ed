"""fct_proportionate_share against the regulation's own arithmetic, case by case
(34 CFR 300.133; docs/rules/proportionate_share.md). One warehouse holds every case as its own
LEA; dbt runs once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

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
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("share")
    con = new_warehouse(root / "w.duckdb")
    leas = ["2500010", "2500020", "2500030", "2500040", "2500050"]
    leas += ["2500060", "2500070", "2500080", "2500090"]
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
            for i, lea in enumerate(lea for lea in leas if lea != "2500050")
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
    # private school is located there; LEA E: no private school, no count (every other LEA has
    # a private school located in it)
    insert(
        con,
        "ppps_count",
        [kid("c1", "2015-01-01", "2500030")],
        lea_id="2500030",
        period="2025-26",
    )
    con.execute("DELETE FROM raw.allocations WHERE lea_id = '2500030'")
    for lea in ("2500030", "2500040", "2500050", "2500070", "2500080", "2500090"):
        insert(
            con, "placements", [pupil(f"{lea}x", "2015-01-01", lea)], lea_id=lea, period="2025-26"
        )
    # LEA F: a count submitted with nobody on it, no roster, no allocation; LEA G: a count
    # whose only child does not count (for-profit school), with roster and allocation
    insert(con, "ppps_count", [], lea_id="2500060", period="2025-26")
    insert(
        con,
        "ppps_count",
        [kid("g1", "2015-01-01", "2500070", private_school_nonprofit=False)],
        lea_id="2500070",
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
            for lea in ("2500070", "2500090")
        ],
        lea_id=None,
        period="2026",
    )
    # LEA H: IDEA spending for FY 2026 with neither an allocation nor a count (child find
    # included: IDEA funds all the same); LEA I: spending and an allocation but no count
    insert(
        con,
        "expenditures",
        [
            spend("2500080", 2026, "IDEA_611", "DIRECT_SERVICES", "300.00", "2026-08-01", 1),
            spend("2500080", 2026, "IDEA_619", "CHILD_FIND_EVALUATION", "12.50", "2026-08-01", 2),
        ],
        lea_id="2500080",
        period="2026",
    )
    insert(
        con,
        "expenditures",
        [spend("2500090", 2026, "IDEA_611", "DIRECT_SERVICES", "40.00", "2026-08-01", 1)],
        lea_id="2500090",
        period="2026",
    )
    con.close()
    run_dbt(
        root / "w.duckdb",
        root / "target",
        {"as_of": "2026-11-01", "rounding": "round_at_end", "count_home_schooled": True},
        select="+fct_proportionate_share +fct_compliance_flags",
    )
    return root / "w.duckdb"


@pytest.fixture(scope="module")
def share(warehouse) -> dict[str, dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("SELECT * FROM marts.fct_proportionate_share").fetchall()
    cols = [d[0] for d in con.description]
    con.close()
    return {f"{r[0]}/{r[1]}": dict(zip(cols, r, strict=True)) for r in rows}


@pytest.fixture(scope="module")
def fund_findings(warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "SELECT lea_id, school_year, student_id, rule, detail FROM marts.fct_compliance_flags "
        "WHERE flag = 'IDEA_SPENDING_WITHOUT_ALLOCATION' ORDER BY lea_id"
    ).fetchall()
    con.close()
    return rows


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


def test_a_count_of_zero_is_no_obligation_even_without_roster_or_allocation(share):
    f = share["2500060/2026"]
    assert f["ppps_count_source"] == "SUBMITTED" and f["ppps_count_3_21"] == 0
    assert f["public_count_3_21"] is None and f["subgrant_611"] is None
    assert f["required_611"] == D("0.00") and f["required_619"] == D("0.00")
    assert f["shortfall_611"] == D("0.00")
    assert f["status_611"] == f["status_619"] == "NO_OBLIGATION"
    # the missing inputs stay visible
    assert f["missing_reason"] == "no placement roster submitted; no allocation loaded"


def test_a_count_of_zero_with_roster_and_allocation_is_no_obligation(share):
    g = share["2500070/2026"]
    assert g["ppps_count_3_21"] == 0 and g["public_count_3_21"] == 1
    assert g["required_611"] == D("0.00") and g["required_619"] == D("0.00")
    assert g["status_611"] == "NO_OBLIGATION" and g["missing_reason"] is None


def test_spending_with_neither_allocation_nor_count_is_shown(share):
    h = share["2500080/2026"]
    assert h["spent_611_initial"] == D("300.00")
    assert h["spent_619_initial"] == D("0.00")  # child find never counts (300.131(d))
    assert h["required_611"] is None and h["required_619"] is None
    assert h["status_611"] is None and h["shortfall_611"] is None
    assert h["missing_reason"] == "no PPPS count submitted; no allocation loaded"


def test_spending_with_an_allocation_but_no_count_stays_unknown(share):
    i = share["2500090/2026"]
    assert i["subgrant_611"] == D("10000.00") and i["spent_611_initial"] == D("40.00")
    assert i["required_611"] is None and i["status_611"] is None
    assert i["missing_reason"] == "no PPPS count submitted"


def test_idea_spending_with_no_allocation_is_a_finding(fund_findings):
    """Only LEA H: LEA I has its allocation; LEA A-E's spending is all allocated."""
    assert fund_findings == [
        (
            "2500080",
            "2025-26",
            None,
            "34 CFR 300.133; 300.705",
            "FY 2026: IDEA 611 300.00 and IDEA 619 12.50 reported spent with no allocation on "
            "file (a wrong fiscal year on the file, or an allocation not yet loaded?)",
        )
    ]
