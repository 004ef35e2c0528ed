"""Cross-stage rules run with GX over the accepted data in raw.*: the monitoring log against
the roster (`{roster}` = raw.placements) and child find against the PPPS count."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sped.validation import validate_cross
from sped.validation.gx_duckdb import shared_config
from sped.warehouse.schema import ensure_schemas
from tests.raw_rows import insert, kid
from tests.test_validation_kinds import placement

AS_OF = dt.date(2026, 11, 1)
L1 = "2500001"
YEAR = "2025-26"


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=shared_config())
    ensure_schemas(c)
    yield c
    c.close()


def _by_rule(findings) -> dict[str, list[tuple[int, tuple[int, ...]]]]:
    out: dict[str, list] = {}
    for f in findings:
        out.setdefault(f.rule_id, []).append((f.submission_id, f.sample_rows))
    return out


def visit(student_id: str, facility_id: str, lea_id: str = L1) -> dict:
    return {
        "lea_id": lea_id,
        "school_year": YEAR,
        "student_id": student_id,
        "facility_id": facility_id,
        "activity_date": dt.date(2025, 11, 3),
        "activity_type": "SITE_VISIT",
        "conducted_by": "DISTRICT_STAFF",
    }


def test_monitoring_of_a_student_not_on_the_roster_as_out_of_district(con, window_profile):
    roster = [
        placement(student_id="OOD1", placement_type="COLLABORATIVE", facility_id="F9"),
        placement(student_id="IN1"),  # on the roster, but in district
    ]
    insert(con, "placements", roster, lea_id=L1, period=YEAR, submission_id=1)
    log = [visit("OOD1", "F9"), visit("OOD1", "F7"), visit("IN1", "F9"), visit("NOPE", "F9")]
    insert(con, "monitoring_log", log, lea_id=L1, period=YEAR, submission_id=5)
    other = [visit("OOD1", "F9", "2500002")]  # another LEA's log: OOD1 is not on its roster
    insert(con, "monitoring_log", other, lea_id="2500002", period=YEAR, submission_id=6)

    findings = validate_cross(con, "monitoring_log", window_profile, AS_OF)
    found = _by_rule(findings)
    assert found["monitoring_log.student_id.on_roster"] == [(5, (4, 5)), (6, (2,))]
    # row 3: F7, not F9; row 4: the roster has no facility for an in-district student
    assert found["monitoring_log.facility_id.matches_roster"] == [(5, (3, 4))]
    assert all(not f.blocking for f in findings)
    assert all(v == "***" for f in findings if f.column == "student_id" for v in f.sample_values)


def test_cross_rules_are_quiet_on_a_consistent_log(con, window_profile):
    roster = [placement(student_id="OOD1", placement_type="COLLABORATIVE", facility_id="F9")]
    insert(con, "placements", roster, lea_id=L1, period=YEAR, submission_id=1)
    insert(con, "monitoring_log", [visit("OOD1", "F9")], lea_id=L1, period=YEAR, submission_id=2)
    assert validate_cross(con, "monitoring_log", window_profile, AS_OF) == []
    assert validate_cross(con, "placements", window_profile, AS_OF) == []  # has no cross rules


def test_child_find_is_checked_against_the_ppps_count(con, window_profile):
    counted = [kid("P1", "2015-01-01", L1), kid("P2", "2015-01-01", L1)]
    insert(con, "ppps_count", counted, lea_id=L1, period=YEAR)

    def referral(sid, outcome, evaluated):
        return {
            "lea_id": L1,
            "school_year": YEAR,
            "student_id": sid,
            "private_school_id": "A0000001",
            "resident_state": "MA",
            "referral_date": dt.date(2025, 9, 2),
            "consent_date": dt.date(2025, 9, 3),
            "evaluation_type": "INITIAL",
            "evaluation_date": evaluated,
            "eligibility": outcome,
        }

    referrals = [
        referral("P1", "ELIGIBLE", dt.date(2025, 9, 20)),  # counted: fine
        referral("N1", "ELIGIBLE", dt.date(2025, 9, 25)),  # eligible, not counted (row 3)
        referral("N2", "ELIGIBLE", dt.date(2025, 11, 2)),  # found after the count: fine
        referral("P2", "NOT_ELIGIBLE", dt.date(2025, 9, 30)),  # counted, not eligible (row 5)
    ]
    insert(con, "child_find", referrals, lea_id=L1, period=YEAR, submission_id=7)
    findings = validate_cross(con, "child_find", window_profile, AS_OF)
    assert _by_rule(findings) == {
        "child_find.student_id.eligible_not_counted": [(7, (3,))],
        "child_find.student_id.not_eligible_but_counted": [(7, (5,))],
    }
    assert all(v == "***" for f in findings for v in f.sample_values)
