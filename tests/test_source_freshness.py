"""dbt source freshness is measured at the run's as-of date (dbt/macros/freshness_snapshot_at.sql),
not at the clock: the same receipts and as-of date give the same answer on any day. Placements
are due December 15 (the shipped profile); a roster received on 2024-12-01 met the 2024-12-15
due date, so a run as of 2025-01-10 finds it fresh (26 days), one as of 2026-01-15 an error
(396 days: past warn_after 365 and error_after 395, the next due date gone by with nothing)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sped.frameworks.dbt_cli import dbt_args, run
from tests.raw_rows import insert, new_warehouse

pytestmark = pytest.mark.slow


def _freshness(warehouse, target, profile, as_of: str) -> dict:
    dbt_vars = profile.dbt_vars(dt.date.fromisoformat(as_of))
    args = dbt_args(
        ["source", "freshness"], target=target, dbt_vars=dbt_vars, select="source:raw.placements"
    )
    run(args, warehouse=warehouse, target=target, dbt_vars=dbt_vars)
    (result,) = json.loads((target / "sources.json").read_text())["results"]
    return result


def test_freshness_is_measured_at_the_as_of_date_not_the_clock(tmp_path, profile):
    warehouse = tmp_path / "warehouse.duckdb"
    con = new_warehouse(warehouse)
    insert(con, "placements", [], lea_id="2500001", period="2024-25")
    con.execute("UPDATE raw.submissions SET received_at = TIMESTAMP '2024-12-01 10:30:00'")
    con.close()
    target = tmp_path / "target"

    fresh = _freshness(warehouse, target, profile, "2025-01-10")
    assert fresh["max_loaded_at"].startswith("2024-12-15")  # the due date the roster met
    assert fresh["snapshotted_at"].startswith("2025-01-10")  # the as-of date, not today
    assert fresh["max_loaded_at_time_ago_in_s"] == 26 * 86400
    assert fresh["status"] == "pass"

    stale = _freshness(warehouse, target, profile, "2026-01-15")
    assert stale["snapshotted_at"].startswith("2026-01-15")
    assert stale["max_loaded_at_time_ago_in_s"] == 396 * 86400
    assert stale["status"] == "error"
