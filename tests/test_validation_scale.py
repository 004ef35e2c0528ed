"""A 100k-row placements batch through the whole suite: timing printed, not asserted."""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import pytest

from sped.contracts import get
from sped.validation import validate_batch
from sped.validation.benchmark import FILL
from sped.validation.gx_duckdb import shared_config
from sped.warehouse.schema import create_table_sql, ensure_schemas

AS_OF = dt.date(2026, 11, 1)


@pytest.mark.slow
def test_100k_row_batch(tmp_path, profile):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=shared_config())
    try:
        ensure_schemas(con)
        con.execute(create_table_sql("landing", get("placements"), replace=True))
        con.execute(FILL.format(rows=100_000))  # 200 files of 500 rows, about 1% bad
        validate_batch(con, "placements", profile, AS_OF)  # warm: context, suite, source
        start = time.perf_counter()
        findings = validate_batch(con, "placements", profile, AS_OF)
        seconds = time.perf_counter() - start
    finally:
        con.close()
    print(f"\n100k placement rows, all rules, warm: {seconds:.2f} s, {len(findings)} findings")
    assert {f.rule_id for f in findings} == {
        "placements.student_id.shape",
        "placements.student_id.unique",
        "placements.disability_category.code",
        "placements.twndp_pct.range",
    }
