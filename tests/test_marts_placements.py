"""Out-of-district, monitoring-coverage, child-find and compliance marts on hand-made rows:
who counts as monitoring (603 CMR 28.06(3)(b)), the rates, and the flags."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests import raw_rows
from tests.raw_rows import insert, new_warehouse, run_dbt

pytestmark = pytest.mark.slow
LEA, YEAR, DAY = "2500010", "2025-26", dt.date(2025, 10, 1)


def pupil(
    sid,
    *,
    ptype="IN_DISTRICT",
    env="RC80",
    fac=None,
    plan=None,
    contract=None,
    twndp=90.0,
    lre=None,
    transport=None,
    approved=None,
    ret=None,
    birth="2014-01-01",
):
    """A roster row of LEA, in short words for the placement facts these marts read."""
    return raw_rows.pupil(
        sid,
        birth,
        LEA,
        educational_environment=env,
        placement_type=ptype,
        facility_id=fac,
        twndp_pct=twndp,
        lre_checklist_on_file=lre,
        contract_on_file=contract,
        monitoring_plan_on_file=plan,
        transport_minutes_one_way=transport,
        transport_team_approved=approved,
        return_criteria_documented=ret,
    )


def activity(sid, who, kind="SITE_VISIT", day="2025-11-01"):
    return {
        "lea_id": LEA,
        "school_year": YEAR,
        "student_id": sid,
        "facility_id": "F1",
        "activity_date": dt.date.fromisoformat(day),
        "activity_type": kind,
        "conducted_by": who,
    }


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    root = tmp_path_factory.mktemp("placements")
    con = new_warehouse(root / "w.duckdb")
    insert(
        con,
        "leas",
        [{"lea_id": LEA, "name": "A", "county": "X", "lea_type": "REGULAR"}],
        lea_id=None,
        period="current",
    )
    insert(
        con,
        "facilities",
        [
            {
                "facility_id": "F1",
                "name": "Day",
                "facility_type": "APPROVED_PRIVATE_DAY",
                "state": "MA",
                "approved": True,
                "approval_expires": dt.date(2027, 6, 30),
            },
            {
                "facility_id": "F2",
                "name": "Old",
                "facility_type": "APPROVED_PRIVATE_DAY",
                "state": "MA",
                "approved": True,
                "approval_expires": dt.date(2025, 6, 30),
            },
            {
                "facility_id": "F3",
                "name": "Res",
                "facility_type": "APPROVED_PRIVATE_RESIDENTIAL",
                "state": "MA",
                "approved": True,
                "approval_expires": None,
            },
        ],
        lea_id=None,
        period="current",
    )
    insert(
        con,
        "placements",
        [
            *[pupil(f"in{i}") for i in range(16)],
            pupil(
                "d1",
                ptype="APPROVED_PRIVATE_DAY",
                env="SS",
                fac="F1",
                plan=True,
                contract=True,
                twndp=0.0,
                lre=True,
            ),  # fully covered
            pupil(
                "d2",
                ptype="APPROVED_PRIVATE_DAY",
                env="SS",
                fac="F1",
                plan=True,
                contract=False,
                twndp=0.0,
                lre=False,
            ),  # only a parent visit
            pupil(
                "d3",
                ptype="APPROVED_PRIVATE_DAY",
                env="SS",
                fac="F2",
                plan=False,
                contract=True,
                twndp=0.0,
                lre=True,
                transport=75,
            ),  # expired approval
            pupil(
                "r1",
                ptype="APPROVED_PRIVATE_RESIDENTIAL",
                env="RF",
                fac="F3",
                plan=True,
                contract=True,
                twndp=0.0,
                lre=True,
                ret=False,
                transport=90,
                approved=True,
            ),
        ],
        lea_id=LEA,
        period=YEAR,
    )
    insert(
        con,
        "monitoring_log",
        [
            activity("d1", "CONTRACTED_MONITOR", "PROGRESS_REPORT_REVIEW"),
            activity("d2", "PARENT"),
            activity("d3", "PLACEMENT_STAFF"),
            activity("d3", "DISTRICT_STAFF", day="2026-07-01"),  # next school year: not this one
            activity("r1", "DISTRICT_STAFF"),
        ],
        lea_id=LEA,
        period=YEAR,
    )
    insert(
        con,
        "child_find",
        [
            {
                "lea_id": LEA,
                "school_year": YEAR,
                "student_id": "c1",
                "private_school_id": "A0000001",
                "resident_state": "MA",
                "referral_date": dt.date(2025, 9, 1),
                "consent_date": dt.date(2025, 9, 10),
                "evaluation_type": "INITIAL",
                "evaluation_date": dt.date(2025, 11, 9),
                "eligibility": "ELIGIBLE",
                "services_plan_date": dt.date(2025, 12, 1),
            },
            {
                "lea_id": LEA,
                "school_year": YEAR,
                "student_id": "c2",
                "private_school_id": "A0000001",
                "resident_state": "NH",
                "referral_date": dt.date(2025, 9, 1),
                "consent_date": dt.date(2025, 9, 10),
                "evaluation_type": "REEVALUATION",
                "evaluation_date": dt.date(2025, 11, 10),
                "eligibility": "NOT_ELIGIBLE",
            },
            {
                "lea_id": LEA,
                "school_year": YEAR,
                "student_id": "c3",
                "private_school_id": "A0000001",
                "resident_state": "MA",
                "referral_date": dt.date(2025, 9, 1),
                "consent_date": None,
                "evaluation_type": "INITIAL",
                "eligibility": "CONSENT_DECLINED",
            },
        ],
        lea_id=LEA,
        period=YEAR,
    )
    con.close()
    run_dbt(
        root / "w.duckdb",
        root / "target",
        {"as_of": "2026-11-01", "evaluation_timeline_days": 60},
        select="+fct_out_of_district +fct_monitoring_coverage +fct_child_find "
        "+fct_compliance_flags +shr_out_of_district +shr_lre_environments",
    )
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)

    def one(sql):
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    out = {
        "ood": one("SELECT * FROM marts.fct_out_of_district")[0],
        "mon": one("SELECT * FROM marts.fct_monitoring_coverage")[0],
        "cf": one("SELECT * FROM marts.fct_child_find")[0],
        "flags": one("SELECT student_id, flag FROM marts.fct_compliance_flags"),
        "shared": one("SELECT * FROM shared.shr_out_of_district")[0],
        "shared_lre": one(
            "SELECT * FROM shared.shr_lre_environments WHERE lea_id <> 'STATE' "
            "ORDER BY educational_environment"
        ),
    }
    con.close()
    return out


def test_out_of_district_rate_and_indicator_5c(marts):
    ood = marts["ood"]
    assert (ood["students"], ood["ood_students"]) == (20, 4)
    assert ood["ood_rate"] == pytest.approx(0.2)
    assert ood["indicator_5c_rate"] == pytest.approx(4 / 20)
    assert ood["approved_private_day"] == 3 and ood["approved_private_residential"] == 1
    assert ood["in_approved_programs"] == 4 and ood["ood_in_state"] == 4


def test_parents_and_placement_staff_never_count_as_monitoring(marts):
    mon = marts["mon"]
    assert mon["ood_students"] == 4
    assert mon["with_plan"] == 3
    assert mon["with_countable_activity"] == 2  # d1 (contracted monitor), r1 (district staff)
    assert mon["only_noncountable_activity"] == 2  # d2 parent, d3 placement staff
    assert mon["with_site_visit"] == 1  # r1
    assert mon["fully_covered"] == 2
    assert mon["coverage_rate"] == pytest.approx(0.5)


def test_child_find_counts_and_timeliness(marts):
    cf = marts["cf"]
    assert cf["referred"] == 3
    assert (cf["evaluated_initial"], cf["evaluated_reevaluation"]) == (1, 1)
    assert (cf["determined_eligible"], cf["served"]) == (1, 1)
    # 60 days from consent is on time, 61 is late
    assert (cf["evaluated_within_timeline"], cf["evaluated_with_consent"]) == (1, 2)
    assert cf["timely_rate"] == pytest.approx(0.5)


def test_compliance_flags(marts):
    got = {(f["student_id"], f["flag"]) for f in marts["flags"]}
    assert got == {
        ("d2", "PRIVATE_PLACEMENT_WITHOUT_CONTRACT"),
        ("d2", "OUT_OF_DISTRICT_WITHOUT_COUNTABLE_MONITORING"),
        ("d2", "LOW_TWNDP_WITHOUT_LRE_CHECKLIST"),
        ("d3", "OUT_OF_DISTRICT_WITHOUT_MONITORING_PLAN"),
        ("d3", "OUT_OF_DISTRICT_WITHOUT_COUNTABLE_MONITORING"),
        ("d3", "TRANSPORT_OVER_60_MINUTES_WITHOUT_TEAM_APPROVAL"),
        ("d3", "UNAPPROVED_PROGRAM"),
        ("r1", "RESIDENTIAL_WITHOUT_RETURN_CRITERIA"),
    }


def test_small_cells_are_suppressed_beyond_the_state_team(marts):
    shared = marts["shared"]
    assert shared["students"] == 20  # 20 >= min_cell_size 10: shown
    assert shared["ood_students"] is None  # 4 out of district: suppressed
    assert shared["ood_rate"] is None  # 4 / 20 would give the 4 back
    # the state is this one LEA: its rate, 4 / 20, would give the hidden 4 back, so with no
    # other LEA to protect it the state figure is hidden too (sped/privacy/suppression.py)
    assert shared["state_ood_rate"] is None
    assert shared["has_suppressed_cells"] is True
    lre = {r["educational_environment"]: r for r in marts["shared_lre"]}
    assert lre["SS"]["students"] is None and lre["SS"]["share"] is None
    assert lre["SS"]["suppressed"] == "SMALL_CELL"
    # 16 in RC80 of 20: the small cells hold 4, which the shown total would give back, so
    # RC80 is hidden too (complementary suppression); the total of 20 stays shown
    assert (lre["RC80"]["students"], lre["RC80"]["suppressed"]) == (None, "COMPLEMENTARY")
    assert lre["RC80"]["age_group_students"] == 20
