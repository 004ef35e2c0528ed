"""marts.fct_submission_status against the state profile's due dates: ON_TIME, LATE, OVERDUE,
NOT_YET_DUE, NOT_EXPECTED and NO_DUE_DATE, each at its edge, on hand-made registry rows.

One raw warehouse is built once; each scenario copies it and runs dbt with the vars a profile
gives (`StateProfile.dbt_vars`), so a changed profile is seen to change the result. Shipped due
dates for 2025-26: placements and PPPS count 2025-12-15 (fall), child find 2026-07-31 (spring).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from sped.config.profile import DEFAULT_PROFILE, parse_profile
from tests.warehouse_fixtures import StateBuilder, build, query

pytestmark = pytest.mark.slow
YEAR = "2025-26"
# one LEA per case; PRIV has a private school located in it, so PPPS and child find are expected
ON_DAY, DAY_AFTER, REJ_THEN_LATE, SUPERSEDED, NOTHING, REJ_ONLY, PRIV = (
    f"25000{n}0" for n in range(1, 8)
)


def at(day: str, time: str = "12:00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}")


def raw_state(path) -> None:
    b = StateBuilder(path)
    leas = (ON_DAY, DAY_AFTER, REJ_THEN_LATE, SUPERSEDED, NOTHING, REJ_ONLY, PRIV)
    b.rows(
        "leas",
        [{"lea_id": lea, "name": lea, "county": "Essex", "lea_type": "REGULAR"} for lea in leas],
        lea_id=None,
        period="current",
    )
    b.rows(
        "private_schools",
        [{"private_school_id": "A0000001", "name": "St. A", "lea_id": PRIV, "nonprofit": True,
          "level": "ELEMENTARY"}],
        lea_id=None,
        period="current",
    )  # fmt: skip

    def roster(lea: str, received: dt.datetime) -> int:
        return b.rows("placements", [], lea_id=lea, period=YEAR, received_at=received)

    # received in the last second of the due date in the state's time zone (America/New_York,
    # UTC-5 in December), and in the first second after it; received times are stored in UTC
    roster(ON_DAY, at("2025-12-16", "04:59:59"))
    roster(DAY_AFTER, at("2025-12-16", "05:00:00"))
    # rejected before the due date, corrected after it: late
    rejected = b.reserve_id()
    roster(REJ_THEN_LATE, at("2025-12-20"))
    b.registry_only(
        "placements",
        lea_id=REJ_THEN_LATE,
        period=YEAR,
        status="rejected",
        received_at=at("2025-12-01"),
        submission_id=rejected,
    )
    # accepted on time, replaced after the due date: still on time (the first accepted counts)
    first = b.reserve_id()
    roster(SUPERSEDED, at("2026-01-05"))
    b.registry_only(
        "placements",
        lea_id=SUPERSEDED,
        period=YEAR,
        status="superseded",
        received_at=at("2025-12-10"),
        submission_id=first,
    )
    # NOTHING sends nothing; REJ_ONLY sends a roster that is rejected
    b.registry_only(
        "placements", lea_id=REJ_ONLY, period=YEAR, status="rejected", received_at=at("2025-12-01")
    )
    # PRIV: roster on time, child find on its (spring) due date, no PPPS count yet
    roster(PRIV, at("2025-11-01"))
    b.rows("child_find", [], lea_id=PRIV, period=YEAR, received_at=at("2026-07-31"))
    # not expected: a child-find log from an LEA with no private school, accepted late; a PPPS
    # count from one, rejected (nothing accepted)
    b.rows("child_find", [], lea_id=ON_DAY, period=YEAR, received_at=at("2026-08-01"))
    b.registry_only(
        "ppps_count", lea_id=DAY_AFTER, period=YEAR, status="rejected", received_at=at("2025-11-01")
    )
    # expenditures (fiscal year) have no due date; one accepted, one rejected
    b.rows("expenditures", [], lea_id=ON_DAY, period="2026", received_at=at("2026-10-01"))
    b.registry_only(
        "expenditures",
        lea_id=DAY_AFTER,
        period="2026",
        status="rejected",
        received_at=at("2026-10-01"),
    )
    b.close()


def profile_with(timezone: str = "America/New_York", **due_dates: dict):
    data = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    data["due_dates"].update(due_dates)
    data["timezone"] = timezone
    return parse_profile(data)


SCENARIOS = {
    # as_of on the placements / PPPS due date, and the day after it
    "on_due_date": (profile_with(), dt.date(2025, 12, 15)),
    "day_after": (profile_with(), dt.date(2025, 12, 16)),
    # a state whose roster is due five days later, and whose child find is due June 30
    "later_roster": (
        profile_with(
            placements={"day": "12-20", "year": "fall"},
            child_find={"day": "06-30", "year": "spring"},
        ),
        dt.date(2025, 12, 16),
    ),
    # a state that keeps its deadlines in UTC: 04:59:59 UTC on Dec 16 is the day after
    "utc_state": (profile_with(timezone="UTC"), dt.date(2025, 12, 15)),
}


@pytest.fixture(scope="module")
def status(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("submission_status")
    raw_state(root / "state.duckdb")
    out = {}
    for name, (profile, as_of) in SCENARIOS.items():
        warehouse = root / f"{name}.duckdb"
        shutil.copy(root / "state.duckdb", warehouse)
        build(
            warehouse,
            root / f"target_{name}",
            profile.dbt_vars(as_of),
            "build --select +fct_submission_status",
        )
        rows = query(warehouse, "SELECT * FROM marts.fct_submission_status")
        out[name] = {(r["lea_id"], r["collection"], r["period"]): r for r in rows}
    return out


def timeliness(status: dict, scenario: str, lea: str, collection: str = "placements") -> str:
    return status[scenario][(lea, collection, YEAR)]["timeliness"]


def test_due_dates_follow_the_school_year(status):
    rows = status["on_due_date"]
    assert rows[(ON_DAY, "placements", YEAR)]["due_date"] == dt.date(2025, 12, 15)  # fall
    assert rows[(PRIV, "ppps_count", YEAR)]["due_date"] == dt.date(2025, 12, 15)
    assert rows[(PRIV, "child_find", YEAR)]["due_date"] == dt.date(2026, 7, 31)  # spring
    assert rows[(ON_DAY, "expenditures", "2026")]["due_date"] is None


@pytest.mark.parametrize("scenario", ["on_due_date", "day_after"])
def test_received_on_the_due_date_is_on_time_the_day_after_is_late(status, scenario):
    assert timeliness(status, scenario, ON_DAY) == "ON_TIME"  # 23:59:59 on the due date, ET
    assert timeliness(status, scenario, DAY_AFTER) == "LATE"  # 00:00:00 the day after, ET
    assert timeliness(status, scenario, PRIV, "child_find") == "ON_TIME"  # spring, on the day
    row = status[scenario][(DAY_AFTER, "placements", YEAR)]
    assert row["first_accepted_at"] == at("2025-12-16", "05:00:00")  # stored in UTC
    assert row["submission_status"] == "IN_FORCE"


def test_the_due_day_is_a_day_in_the_states_time_zone(status):
    assert timeliness(status, "utc_state", ON_DAY) == "LATE"  # Dec 16 in UTC
    assert timeliness(status, "on_due_date", ON_DAY) == "ON_TIME"  # Dec 15 in New York


def test_rejected_then_accepted_late_is_late(status):
    row = status["on_due_date"][(REJ_THEN_LATE, "placements", YEAR)]
    assert row["submissions_received"] == 2
    assert row["first_accepted_at"] == at("2025-12-20")  # the rejected file does not count
    assert row["timeliness"] == "LATE"


def test_accepted_then_superseded_keeps_the_first_acceptance(status):
    row = status["on_due_date"][(SUPERSEDED, "placements", YEAR)]
    assert row["first_accepted_at"] == at("2025-12-10")  # the superseded file
    assert row["in_force_received_at"] == at("2026-01-05")  # the file in force came later
    assert row["timeliness"] == "ON_TIME"


def test_nothing_accepted_is_not_yet_due_until_the_day_after(status):
    for lea in (NOTHING, REJ_ONLY):
        assert timeliness(status, "on_due_date", lea) == "NOT_YET_DUE"  # as_of == due date
        assert timeliness(status, "day_after", lea) == "OVERDUE"
    assert status["day_after"][(NOTHING, "placements", YEAR)]["submission_status"] == "MISSING"
    rejected = status["day_after"][(REJ_ONLY, "placements", YEAR)]
    assert (rejected["submission_status"], rejected["first_accepted_at"]) == ("NONE_ACCEPTED", None)
    # the PPPS count expected from PRIV shares the roster's due date
    assert timeliness(status, "on_due_date", PRIV, "ppps_count") == "NOT_YET_DUE"
    assert timeliness(status, "day_after", PRIV, "ppps_count") == "OVERDUE"


def test_unexpected_and_undated_keys(status):
    rows = status["day_after"]
    unexpected = rows[(ON_DAY, "child_find", YEAR)]  # no private school in ON_DAY
    assert not unexpected["expected"] and unexpected["timeliness"] == "LATE"  # accepted: judged
    assert rows[(DAY_AFTER, "ppps_count", YEAR)]["timeliness"] == "NOT_EXPECTED"  # rejected only
    assert rows[(ON_DAY, "expenditures", "2026")]["timeliness"] == "NO_DUE_DATE"
    assert rows[(DAY_AFTER, "expenditures", "2026")]["timeliness"] == "NOT_EXPECTED"
    assert (NOTHING, "child_find", YEAR) not in rows  # neither expected nor received


def test_a_profile_with_other_due_dates_changes_the_result(status):
    rows = status["later_roster"]
    assert rows[(DAY_AFTER, "placements", YEAR)]["due_date"] == dt.date(2025, 12, 20)
    assert timeliness(status, "later_roster", DAY_AFTER) == "ON_TIME"  # was LATE
    assert timeliness(status, "later_roster", REJ_THEN_LATE) == "ON_TIME"  # 12-20, inclusive
    assert timeliness(status, "later_roster", NOTHING) == "NOT_YET_DUE"  # was OVERDUE
    assert timeliness(status, "later_roster", PRIV, "ppps_count") == "OVERDUE"  # unchanged
    assert rows[(PRIV, "child_find", YEAR)]["due_date"] == dt.date(2026, 6, 30)
    assert timeliness(status, "later_roster", PRIV, "child_find") == "LATE"  # was ON_TIME
