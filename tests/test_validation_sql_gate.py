"""The one-file check's SQL gate (sped/validation/sql_gate.py) gives exactly the pipeline's
findings (GX's verdict, attributed by the rule SQL): on a batch breaking each rule kind, on a
mixed batch, and on a generated district's real files; and `sped validate` never imports GX."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from sped.validation import validate_batch
from sped.validation.sql_gate import validate_batch_sql
from tests.test_validation_gx import _mixed_batch
from tests.test_validation_kinds import CASES, con, load  # noqa: F401 (fixture)

AS_OF = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("rule_id", "collection", "files", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_sql_gate_equals_the_gx_gate(con, window_profile, rule_id, collection, files, expected):  # noqa: F811
    load(con, collection, files)
    gx_findings = validate_batch(con, collection, window_profile, AS_OF)
    assert gx_findings, "every case breaks a rule"
    assert validate_batch_sql(con, collection, window_profile, AS_OF) == gx_findings


def test_sql_gate_equals_the_gx_gate_on_a_mixed_batch(con, window_profile):  # noqa: F811
    load(con, "placements", _mixed_batch())
    gx_findings = validate_batch(con, "placements", window_profile, AS_OF)
    assert len({f.rule_id for f in gx_findings}) >= 4
    assert validate_batch_sql(con, "placements", window_profile, AS_OF) == gx_findings
    assert validate_batch_sql(con, "placements", window_profile, AS_OF, sample=0) == (
        validate_batch(con, "placements", window_profile, AS_OF, sample=0)
    )


def test_validate_command_does_not_import_gx(tmp_path):
    """`sped validate` pays for no framework it does not use (GX, SQLAlchemy, pandas, scipy,
    Dagster, dbt)."""
    roster = tmp_path / "roster.csv"
    roster.write_text("lea_id,school_year\n2500001,2025-26\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from sped.cli import main\n"
        "rc = main(['validate', sys.argv[1], '--collection', 'placements', '--lea', '2500001',"
        " '--period', '2025-26'])\n"
        "heavy = sorted(m for m in ('great_expectations', 'sqlalchemy', 'pandas', 'scipy',"
        " 'dagster', 'dbt', 'altair') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    # no installation: `sped validate` checks what it can without one (its directory rules not)
    env = {**os.environ, "SPED_WAREHOUSE": str(tmp_path / "w" / "warehouse.duckdb")}
    out = subprocess.run(
        [sys.executable, "-c", code, str(roster)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
    assert "would be REJECTED" in out.stdout  # missing required columns
