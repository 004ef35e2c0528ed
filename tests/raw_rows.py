"""Helpers for mart tests: put hand-made rows straight into raw tables, run dbt on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from sped.contracts import get
from sped.frameworks.dbt_cli import invoke
from sped.warehouse.schema import ensure_schemas

COUNT_DAY = dt.date(2025, 10, 1)
YEAR = "2025-26"


def pupil(sid: str, birth: str, lea: str, **extra: Any) -> dict:
    """A placements row: a school-age student in a regular class in district, counted on
    October 1, 2025, unless `extra` says otherwise (any contract column)."""
    row = {
        "lea_id": lea,
        "school_year": YEAR,
        "count_date": COUNT_DAY,
        "student_id": sid,
        "birth_date": dt.date.fromisoformat(birth),
        "grade_level": "05",
        "disability_category": "SLD",
        "educational_environment": "RC80",
        "placement_type": "IN_DISTRICT",
        "placement_start_date": dt.date(2024, 9, 1),
        "twndp_pct": 90.0,
    }
    row.update(extra)
    return row


def kid(sid: str, birth: str, lea: str, **extra: Any) -> dict:
    """A ppps_count row: an eligible child in a nonprofit elementary school, MA resident,
    counted on October 1, 2025, unless `extra` says otherwise (any contract column)."""
    row = {
        "lea_id": lea,
        "school_year": YEAR,
        "count_date": COUNT_DAY,
        "student_id": sid,
        "birth_date": dt.date.fromisoformat(birth),
        "private_school_id": "A0000001",
        "private_school_nonprofit": True,
        "elementary_or_secondary": True,
        "home_schooled": False,
        "resident_state": "MA",
        "disability_category": "SLD",
        "has_services_plan": True,
    }
    row.update(extra)
    return row


def new_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    ensure_schemas(con)
    return con


def insert(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    rows: list[dict],
    *,
    lea_id: str | None,
    period: str,
    submission_id: int = 1,
) -> None:
    """Insert contract-named rows (missing columns NULL) with lineage columns filled in, and
    record the submission as accepted and in force (as the pipeline does), even with no rows."""
    names = get(collection).column_names
    con.execute(
        "INSERT INTO raw.submissions (submission_id, collection, lea_id, period, status, "
        "row_count, in_force) SELECT ?, ?, ?, ?, 'accepted', ?, true WHERE NOT EXISTS (SELECT 1 "
        "FROM raw.submissions WHERE collection = ? AND lea_id IS NOT DISTINCT FROM ? "
        "AND period = ?)",
        [submission_id, collection, lea_id, period, len(rows), collection, lea_id, period],
    )
    marks = ", ".join("?" for _ in range(len(names) + 4))
    for i, row in enumerate(rows):
        unknown = set(row) - set(names)
        assert not unknown, f"{collection} has no columns {unknown}"
        con.execute(
            f"INSERT INTO raw.{collection} VALUES ({marks})",
            [row.get(n) for n in names] + [submission_id, i + 2, lea_id, period],
        )


def run_dbt(warehouse: Path, target: Path, dbt_vars: dict, select: str = "fqn:*") -> None:
    """`dbt build` on the warehouse; raises with the failing nodes if anything fails."""
    invoke(["build"], warehouse=warehouse, target=target, dbt_vars=dbt_vars, select=select)
