"""GX machinery: the DuckDB workaround guarded, the committed suites current and complete, GX
objects built once per process, GX's counts equal to the findings', no values in the logs,
the warehouse released for dbt, and validation inside the pipeline."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys

import great_expectations as gx
import pytest

from sped.contracts import COLLECTIONS, get
from sped.run.steps import connect
from sped.validation import validate_batch, validate_cross
from sped.validation.gx_duckdb import enable_persisted_connection, persisted_connection_enabled
from sped.validation.gx_runtime import cache_sizes, run_suite
from sped.validation.suites import (
    RENDER_AS_OF,
    SUITES_DIR,
    committed_stages,
    stage_rules,
    suite_json,
    suite_path,
)
from tests.state_channel import OPERATOR
from tests.test_validation_kinds import L2, load, placement

AS_OF = dt.date(2026, 11, 1)


def test_gx_duckdb_workaround_is_in_place():
    """Fails loudly if GX renames or reshapes the private list the workaround extends, or if GX
    is upgraded: re-check STACK.md's findings (and GX's native DuckDB engine) before moving."""
    import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql

    assert gx.__version__ == "1.24.1"
    assert isinstance(gx_sql._PERSISTED_CONNECTION_DIALECTS, tuple)
    assert hasattr(gx_sql.SqlAlchemyExecutionEngine, "get_connection")
    enable_persisted_connection()
    enable_persisted_connection()
    assert persisted_connection_enabled()
    duckdbs = [
        d for d in gx_sql._PERSISTED_CONNECTION_DIALECTS if getattr(d, "value", 0) == "duckdb"
    ]
    assert len(duckdbs) == 1, "enabling twice must not add duckdb twice"
    assert gx_sql._dialect_requires_persisted_connection(connection_string="duckdb:///x.duckdb")


def test_committed_suites_are_current_and_cover_every_rule_once(profile):
    gx.get_context(mode="ephemeral")
    committed = {p.name for p in SUITES_DIR.glob("*.json")}
    expected = set()
    for c in COLLECTIONS.values():
        seen: list[str] = []
        for stage in committed_stages(c):
            path = suite_path(c, stage)
            expected.add(path.name)
            text = suite_json(c, profile, RENDER_AS_OF, stage)
            assert path.read_text() == text, "run `python -m sped.validation.suites`"
            ids = [e["meta"]["rule_id"] for e in json.loads(text)["expectations"]]
            assert sorted(ids) == sorted(r.id for r in stage_rules(c, stage))
            seen += ids
        assert sorted(seen) == sorted(r.id for r in c.rules), f"{c.name}: each rule exactly once"
    assert committed == expected, "no stale suite files"


def test_native_expectations_where_gx_supports_them(profile):
    gx.get_context(mode="ephemeral")
    types = {
        e["meta"]["rule_id"]: e["type"]
        for e in json.loads(suite_json(get("placements"), profile, RENDER_AS_OF))["expectations"]
    }
    assert types["placements.grade_level.required"] == "expect_column_values_to_not_be_null"
    assert types["placements.grade_level.code"] == "expect_column_values_to_be_in_set"
    assert types["placements.twndp_pct.range"] == "expect_column_values_to_be_between"
    assert types["placements.student_id.unique"] == "expect_compound_columns_to_be_unique"
    assert types["placements.count_date.window"] == "unexpected_rows_expectation"


@pytest.fixture
def con(inst):
    c = connect(inst)
    yield c
    c.close()


def _mixed_batch() -> dict[int, list[dict]]:
    return {
        1: [placement(), placement(), placement(student_id="S 3", twndp_pct=-1.0)],
        2: [
            placement(L2, grade_level="13"),
            placement(L2, student_id="S2", count_date=dt.date(2025, 12, 5)),
            placement(L2, student_id="S3", disability_category="DD"),
        ],
    }


def test_gx_counts_equal_the_findings_counts(con, window_profile):
    load(con, "placements", _mixed_batch())
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    )
    gx_counts = run_suite(
        path.fetchone()[0], get("placements"), "landing.placements", window_profile, AS_OF
    )
    findings = validate_batch(con, "placements", window_profile, AS_OF)
    totals: dict[str, int] = {}
    for f in findings:
        totals[f.rule_id] = totals.get(f.rule_id, 0) + f.failed_count
    assert totals == gx_counts
    assert len(gx_counts) >= 6


def test_gx_objects_are_built_once_per_process(con, window_profile):
    load(con, "placements", _mixed_batch())
    validate_batch(con, "placements", window_profile, AS_OF)
    before = cache_sizes()
    for _ in range(3):
        load(con, "placements", {1: [placement()]})
        validate_batch(con, "placements", window_profile, AS_OF)
    assert cache_sizes() == before


def test_no_row_values_in_the_logs(con, window_profile, caplog):
    load(con, "placements", {1: [placement(student_id="SECRET 1", disability_category="ZZTOP")]})
    with caplog.at_level(logging.DEBUG):
        findings = validate_batch(con, "placements", window_profile, AS_OF)
    assert findings
    assert "SECRET" not in caplog.text
    assert "ZZTOP" not in caplog.text


def test_a_connection_gx_cannot_share_is_refused_clearly(tmp_path, window_profile):
    import duckdb

    plain = duckdb.connect(str(tmp_path / "plain.duckdb"))
    try:
        with pytest.raises(ValueError, match="shared_config"):
            validate_batch(plain, "placements", window_profile, AS_OF)
    finally:
        plain.close()


def test_validation_releases_the_warehouse_for_other_processes(inst, window_profile):
    """dbt runs in a subprocess right after validation: no lock may be left behind."""
    c = connect(inst)
    load(c, "placements", {1: [placement()]})
    validate_batch(c, "placements", window_profile, AS_OF)
    c.close()
    probe = f"import duckdb; duckdb.connect({str(inst.warehouse)!r}).close()"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-500:]


def test_cross_warnings_follow_the_data_they_read(inst, window_profile):
    """A monitoring-log warning (student not placed out of district) goes away when a later
    roster places the student, without the monitoring log being sent again."""
    from sped.ingest.batch import process_collection
    from sped.landing.layout import DeclaredKey
    from sped.run.steps import open_registry

    def roster(*rows):
        head = ",".join(get("placements").column_names)
        body = "".join(
            f"2500001,2025-26,2025-10-01,{sid},2014-01-01,05,SLD,{env},{ptype},{fac},,"
            f"2024-09-01,{pct},Y,Y,Y,10,,,,WH7,F,N\n"
            for sid, env, ptype, fac, pct in rows
        )
        return (head + "\n" + body).encode()

    leas = b"lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n"
    log = (
        ",".join(get("monitoring_log").column_names) + "\n"
        "2500001,2025-26,OOD1,F1,2025-11-01,SITE_VISIT,DISTRICT_STAFF\n"
        "2500001,2025-26,S9,F1,2025-11-01,SITE_VISIT,DISTRICT_STAFF\n"
    ).encode()
    key = DeclaredKey("placements", "2500001", "2025-26")
    with open_registry(inst) as reg:
        reg.receive(
            leas,
            DeclaredKey("leas", None, "current"),
            original_name="l.csv",
            submitter=OPERATOR,
        )
        reg.receive(
            roster(
                ("OOD1", "SS", "COLLABORATIVE", "F1", "10"), ("S9", "RC80", "IN_DISTRICT", "", "90")
            ),
            key,
            original_name="r1.csv",
            submitter=OPERATOR,
        )
        log_sid = reg.receive(
            log,
            DeclaredKey("monitoring_log", "2500001", "2025-26"),
            original_name="m.csv",
            submitter=OPERATOR,
        ).submission_id
        c = connect(inst)
        try:
            for name in ("leas", "placements", "monitoring_log"):
                process_collection(
                    c,
                    reg,
                    get(name),
                    window_profile,
                    AS_OF,
                    validate=validate_batch,
                    validate_cross=validate_cross,
                )
            rules = {f.rule_id: f.sample_rows for f in reg.findings(log_sid)}
            assert rules == {
                "monitoring_log.student_id.on_roster": (3,),
                "monitoring_log.facility_id.matches_roster": (3,),
            }
            assert reg.submission(log_sid).warning_count == 2
            reg.receive(
                roster(
                    ("OOD1", "SS", "COLLABORATIVE", "F1", "10"),
                    ("S9", "SS", "COLLABORATIVE", "F1", "10"),
                ),
                key,
                original_name="r2.csv",
                submitter=OPERATOR,
            )
            for name in ("placements", "monitoring_log"):
                process_collection(
                    c,
                    reg,
                    get(name),
                    window_profile,
                    AS_OF,
                    validate=validate_batch,
                    validate_cross=validate_cross,
                )
        finally:
            c.close()
        assert reg.findings(log_sid) == []
        assert reg.submission(log_sid).warning_count == 0
