"""A small hand-made state in a temporary DuckDB warehouse, for the dbt tests.

`StateBuilder` puts contract-named dict rows into `raw.<collection>` with the lineage columns
filled in and a registry row in `raw.submissions` (one new submission id per file, as the
pipeline does); `small_state` builds the one fixture every `tests/test_dbt_*.py` module shares.
Each LEA of the small state is one case, written next to its rows, so the expected figures in
the tests can be checked by hand. The row insertion itself is `tests.raw_rows.insert`, which
the older mart tests use too.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from sped.frameworks.dbt_cli import invoke
from tests.raw_rows import YEAR, insert, kid, new_warehouse, pupil

PRIOR_YEAR = "2024-25"
L1, L2, L3, L4 = "2500010", "2500020", "2500030", "2500040"
AS_OF = "2026-11-01"
ROSTER_RECEIVED = dt.datetime(2025, 10, 25, 14, 30)

#: The vars of the fixture build: the profile's shape, with the options the older mart tests
#: leave at their defaults switched (per-child rounding, home-schooled children not counted).
FIXTURE_VARS: dict[str, Any] = {
    "as_of": AS_OF,
    "rounding": "per_child_first",
    "count_home_schooled": False,
    "evaluation_timeline_days": 60,
    "min_cell_size": 10,
    "home_state": "MA",
    "dd_min_age": 3,
    "dd_max_age": 9,
    "due_dates": {
        "placements": {"month": 12, "day": 15, "year": "fall"},
        "monitoring_log": {"month": 7, "day": 31, "year": "spring"},
        "ppps_count": {"month": 12, "day": 15, "year": "fall"},
        "child_find": {"month": 7, "day": 31, "year": "spring"},
    },
    "timezone": "America/New_York",
}


class StateBuilder:
    """Writes raw rows and registry rows into one warehouse file, numbering submissions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = new_warehouse(path)
        self._next_id = 100

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def rows(
        self,
        collection: str,
        rows: list[dict],
        *,
        lea_id: str | None,
        period: str,
        received_at: dt.datetime | None = None,
    ) -> int:
        """An accepted submission in force holding `rows` (it may hold none); its id."""
        sid = self._new_id()
        insert(self.con, collection, rows, lea_id=lea_id, period=period, submission_id=sid)
        self.con.execute(
            "UPDATE raw.submissions SET received_at = ? WHERE submission_id = ?",
            [received_at, sid],
        )
        return sid

    def registry_only(
        self,
        collection: str,
        *,
        lea_id: str | None,
        period: str,
        status: str,
        received_at: dt.datetime,
        submission_id: int | None = None,
    ) -> int:
        """A submission with no rows in force: rejected or superseded (history kept). Record it
        after the key's accepted file (`raw_rows.insert` registers a key once); pass a lower
        `submission_id` (from `reserve_id`) for a file received before it."""
        sid = submission_id or self._new_id()
        self.con.execute(
            "INSERT INTO raw.submissions (submission_id, collection, lea_id, period, status, "
            "received_at, in_force) VALUES (?, ?, ?, ?, ?, ?, false)",
            [sid, collection, lea_id, period, status, received_at],
        )
        return sid

    def reserve_id(self) -> int:
        """A submission id for a file recorded later but received earlier."""
        return self._new_id()

    def close(self) -> None:
        self.con.close()


def spend(n: int, fund: str, category: str, amount: str, day: str, lea: str = L1) -> dict:
    """An expenditure charged to the FY 2026 grant."""
    return {
        "lea_id": lea,
        "fiscal_year": 2026,
        "expenditure_id": f"E{n}",
        "fund_source": fund,
        "category": category,
        "amount": Decimal(amount),
        "obligation_date": dt.date.fromisoformat(day),
    }


def small_state(path: Path) -> None:
    """Four LEAs, each a case (figures worked out in the comments and in the tests).

    - L1 (2500010): a full year. Roster of 13 (11 school age incl. a 5 year old in KG; 2 early
      childhood incl. a child 3 on the count date); 3 out of district (approved private day SS,
      out-of-state residential RF, unapproved private SS) and one homebound HH in district.
      PPPS count with every counting rule; FY 2026 allocation; spending of every kind.
    - L2 (2500020): a for-profit private school located there, a rejected PPPS count (none in
      force), a roster of 5 with one student in a collaborative.
    - L3 (2500030): no private school and no roster at all: no PPPS obligation, a missing roster.
    - L4 (2500040): PPPS children counted but no allocation loaded; codes sent in lower case.
    """
    b = StateBuilder(path)
    received = dt.datetime(2025, 10, 20, 9, 0)
    b.rows(
        "leas",
        [
            {"lea_id": L1, "name": " Alpha ", "county": "Essex", "lea_type": "REGULAR"},
            {"lea_id": L2, "name": "Beta", "county": "Essex", "lea_type": "REGULAR"},
            {"lea_id": L3, "name": "Gamma", "county": "Suffolk", "lea_type": " charter"},
            {"lea_id": L4, "name": "Delta", "county": "Suffolk", "lea_type": "REGIONAL"},
        ],
        lea_id=None,
        period="current",
    )
    b.rows(
        "facilities",
        [
            {"facility_id": "F1", "name": "Day School", "facility_type": "APPROVED_PRIVATE_DAY",
             "state": "MA", "approved": True, "approval_expires": dt.date(2027, 6, 30)},
            {"facility_id": "F2", "name": "NH Residential", "facility_type": "OUT_OF_STATE",
             "state": "nh", "approved": True, "approval_expires": dt.date(2027, 6, 30)},
            {"facility_id": "F3", "name": "Unapproved", "facility_type": "UNAPPROVED_PRIVATE",
             "state": "MA", "approved": False, "approval_expires": None},
            {"facility_id": "F4", "name": "Collaborative", "facility_type": "COLLABORATIVE",
             "state": "MA", "approved": True, "approval_expires": None},
        ],
        lea_id=None,
        period="current",
    )  # fmt: skip
    b.rows(
        "private_schools",
        [
            {"private_school_id": "A0000001", "name": "St. A", "lea_id": L1, "nonprofit": True,
             "level": "ELEMENTARY"},
            {"private_school_id": "A0000002", "name": "Tots", "lea_id": L1, "nonprofit": True,
             "level": "PRESCHOOL_ONLY"},
            {"private_school_id": "A0000003", "name": "Prep Inc", "lea_id": L2, "nonprofit": False,
             "level": "SECONDARY"},
            {"private_school_id": "A0000004", "name": "St. D", "lea_id": L4, "nonprofit": True,
             "level": "COMBINED"},
        ],
        lea_id=None,
        period="current",
    )  # fmt: skip

    # L1 roster 2025-26; an earlier accepted file for the same key was superseded by this one.
    superseded = b.reserve_id()
    b.rows(
        "placements",
        [pupil(f"a{i}", "2015-03-01", L1) for i in range(6)]
        + [
            pupil("kg5", "2020-10-01", L1, grade_level="KG"),  # 5 in KG: school age
            pupil("pk4", "2021-05-01", L1, grade_level="PK", educational_environment="REC10YSVCS"),
            pupil("pk3", "2022-10-01", L1, grade_level="PK", educational_environment="SC"),
            pupil("hh", "2012-01-01", L1, educational_environment="HH", twndp_pct=0.0),
            pupil("day", "2012-01-01", L1, educational_environment="SS", twndp_pct=0.0,
                  placement_type="APPROVED_PRIVATE_DAY", facility_id="F1"),
            pupil("res", "2010-01-01", L1, educational_environment="RF", twndp_pct=0.0,
                  placement_type="OUT_OF_STATE", facility_id="F2", facility_state="NH"),
            pupil("unap", "2011-01-01", L1, educational_environment="SS", twndp_pct=0.0,
                  placement_type="UNAPPROVED_PRIVATE", facility_id="F3"),
        ],
        lea_id=L1,
        period=YEAR,
        received_at=ROSTER_RECEIVED,
    )  # fmt: skip
    b.registry_only(
        "placements",
        lea_id=L1,
        period=YEAR,
        status="superseded",
        received_at=received,
        submission_id=superseded,
    )
    b.rows(
        "placements",
        [pupil(f"old{i}", "2014-03-01", L1, school_year=PRIOR_YEAR,
               count_date=dt.date(2024, 10, 1)) for i in range(2)],
        lea_id=L1,
        period=PRIOR_YEAR,
    )  # fmt: skip
    b.rows(
        "monitoring_log",
        [
            {"lea_id": L1, "school_year": YEAR, "student_id": "day", "facility_id": "F1",
             "activity_date": dt.date(2025, 11, 5), "activity_type": "SITE_VISIT",
             "conducted_by": "DISTRICT_STAFF"},
            {"lea_id": L1, "school_year": YEAR, "student_id": "res", "facility_id": "F2",
             "activity_date": dt.date(2025, 11, 5), "activity_type": "PROGRESS_REPORT_REVIEW",
             "conducted_by": "PARENT"},
        ],
        lea_id=L1,
        period=YEAR,
    )  # fmt: skip
    b.rows(
        "child_find",
        [
            {"lea_id": L1, "school_year": YEAR, "student_id": "c1", "private_school_id": "A0000001",
             "resident_state": "MA", "referral_date": dt.date(2025, 8, 20),
             "consent_date": dt.date(2025, 9, 1), "evaluation_type": "INITIAL",
             "evaluation_date": dt.date(2025, 10, 20), "eligibility": "ELIGIBLE",
             "services_plan_date": dt.date(2025, 11, 1)},
            {"lea_id": L1, "school_year": YEAR, "student_id": "c2", "private_school_id": "A0000001",
             "resident_state": "MA", "referral_date": dt.date(2025, 8, 20),
             "consent_date": dt.date(2025, 9, 1), "evaluation_type": "INITIAL",
             "evaluation_date": dt.date(2025, 11, 15), "eligibility": "NOT_ELIGIBLE"},
        ],
        lea_id=L1,
        period=YEAR,
    )  # fmt: skip
    # L1 PPPS count, fall 2025 (sets FY 2026). Counted 3-21: k3 k5 k6 k21 nh twice = 6;
    # 3-5: k3 k5 = 2 (home-schooled not counted: the fixture build sets the option off).
    b.rows(
        "ppps_count",
        [
            kid("k3", "2022-10-01", L1),  # 3 on the count date (the birthday): counts, 3-5 too
            kid("k2", "2022-10-02", L1),  # 2 until tomorrow: not counted
            kid("k5", "2020-10-01", L1),  # 5 in an elementary school: counts, 3-5 too
            kid("pre4", "2021-05-01", L1, elementary_or_secondary=False,
                private_school_id="A0000002"),  # 4 in a stand-alone preschool: not counted
            kid("k6", "2019-10-01", L1, elementary_or_secondary=False),  # 6: preschool rule n/a
            kid("k21", "2004-10-01", L1),  # 21 on the birthday: counts
            kid("k22", "2003-10-01", L1),  # 22: not counted
            kid("fp", "2015-01-01", L1, private_school_nonprofit=False),  # for-profit: no
            kid("home", "2015-01-01", L1, private_school_nonprofit=False, home_schooled=True),
            kid("nh", "2015-01-01", L1, resident_state="NH"),  # out-of-state resident: counts
            kid("twice", "2015-01-01", L1),
            kid("twice", "2015-01-01", L1),  # listed twice: counted once
        ],
        lea_id=L1,
        period=YEAR,
    )  # fmt: skip
    # FY 2026 spending of L1 (initial period 2026-07-01 .. 2027-09-30), as of 2026-11-01.
    b.rows(
        "expenditures",
        [
            spend(1, "IDEA_611", "DIRECT_SERVICES", "20000.00", "2026-08-01"),
            spend(2, "IDEA_611", "TRANSPORTATION", "1000.00", "2026-09-15"),  # counts
            spend(3, "IDEA_611", "CHILD_FIND_EVALUATION", "5000.00", "2026-08-01"),  # never
            spend(4, "STATE", "DIRECT_SERVICES", "9000.00", "2026-08-01"),  # not federal
            spend(5, "LOCAL", "DIRECT_SERVICES", "9000.00", "2026-08-01"),  # not federal
            spend(6, "IDEA_619", "RELATED_SERVICES", "4000.00", "2026-10-15"),
            spend(7, "IDEA_611", "DIRECT_SERVICES", "7777.00", "2026-11-02"),  # after as_of
        ],
        lea_id=L1,
        period="2026",
    )

    # L2: roster of 5 (one in a collaborative); its PPPS count was rejected, none in force.
    b.rows(
        "placements",
        [pupil(f"b{i}", "2013-06-01", L2) for i in range(4)]
        + [pupil("collab", "2013-06-01", L2, educational_environment="RC39", twndp_pct=30.0,
                 placement_type="COLLABORATIVE", facility_id="F4")],
        lea_id=L2,
        period=YEAR,
    )  # fmt: skip
    b.registry_only("ppps_count", lea_id=L2, period=YEAR, status="rejected", received_at=received)

    # L4: codes in lower case with blanks (staging standardises); 2 children, no allocation.
    b.rows(
        "placements",
        [pupil(f"d{i}", "2013-06-01", L4) for i in range(2)]
        + [pupil("lower", "2013-06-01", L4, educational_environment=" rc80",
                 placement_type="in_district ", grade_level="05")],
        lea_id=L4,
        period=YEAR,
    )  # fmt: skip
    b.rows(
        "ppps_count",
        [kid(f"d{i}", "2012-01-01", L4, private_school_id="A0000004") for i in range(2)],
        lea_id=L4,
        period=YEAR,
    )

    # Allocations FY 2026 (state file): L1, L2, L3; none for L4.
    b.rows(
        "allocations",
        [
            {"lea_id": L1, "fiscal_year": 2026, "idea_611_subgrant": Decimal("100000.00"),
             "idea_619_subgrant": Decimal("10000.00")},
            {"lea_id": L2, "fiscal_year": 2026, "idea_611_subgrant": Decimal("50000.00"),
             "idea_619_subgrant": Decimal("5000.00")},
            {"lea_id": L3, "fiscal_year": 2026, "idea_611_subgrant": Decimal("30000.00"),
             "idea_619_subgrant": Decimal("3000.00")},
        ],
        lea_id=None,
        period="2026",
    )  # fmt: skip
    b.close()


def build(warehouse: Path, target: Path, dbt_vars: dict[str, Any], command: str = "build") -> dict:
    """`dbt <command>` (every node) on `warehouse`; raises naming failing nodes. Returns
    run_results.json (its `elapsed_time` is dbt's own timing of the command)."""
    invoke(command.split(), warehouse=warehouse, target=target, dbt_vars=dbt_vars)
    return json.loads((target / "run_results.json").read_text(encoding="utf-8"))


def query(warehouse: Path, sql: str) -> list[dict]:
    """Rows of `sql` on the warehouse (opened read-only and closed again) as dicts."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def open_from_another_process(warehouse: Path) -> subprocess.CompletedProcess:
    """Open the warehouse read-write from another process and close it: it succeeds only when
    no process holds the file (DuckDB lets one process write it at a time)."""
    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run(
        [sys.executable, "-c", probe, str(warehouse)], capture_output=True, text=True
    )
