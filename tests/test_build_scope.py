"""The build plan: incremental only when every change since the last finished build is district
data, and the vars and the dbt project are unchanged; full otherwise, with the reason. What a
run foresees of it before it starts covers what it then plans."""

from __future__ import annotations

import pytest

from sped.contracts.findings import Finding
from sped.landing.layout import DeclaredKey
from sped.run.steps import connect, open_registry
from sped.warehouse import national_reference
from sped.warehouse.build_scope import (
    current_plan,
    finish_build,
    foreseen_collections,
    plan_build,
)
from tests.state_channel import OPERATOR

VARS = {"as_of": "2026-11-01", "rounding": "round_at_end"}


@pytest.fixture
def env(inst):
    registry = open_registry(inst)
    con = connect(inst)
    yield registry, con
    con.close()
    registry.close()


def _accept(registry, key: DeclaredKey, data: bytes) -> int:
    sid = registry.receive(data, key, original_name="f.csv", submitter=OPERATOR).submission_id
    registry.record_outcome(sid, [], row_count=1)
    return sid


def _reject(registry, key: DeclaredKey, data: bytes) -> None:
    sid = registry.receive(data, key, original_name="f.csv", submitter=OPERATOR).submission_id
    bad = Finding(sid, "R1", "blocking", "bad", "docs/rules/contracts.md", failed_count=1)
    registry.record_outcome(sid, [bad], row_count=1)


def _plan_and_finish(con, registry, dbt_vars=VARS):
    plan = plan_build(con, registry, dbt_vars)
    finish_build(con, plan.build_id)
    return plan


def test_first_build_is_full(env):
    registry, con = env
    plan = plan_build(con, registry, VARS)
    assert (plan.mode, plan.reason, plan.lea_ids) == ("full", "no finished build yet", ())
    assert plan.collections is None
    assert current_plan(con) == plan


def test_an_installation_from_before_collections_and_periods_gets_the_columns(inst):
    """Warehouses made before the build log recorded collections and the scope periods: the
    columns are added, and an unfinished incremental plan from then counts as every district
    collection (None) and every period (a NULL period: see dbt/models/shared/shr_suppression.py)."""
    import duckdb

    from sped.warehouse.schema import BUILD_LOG_DDL

    open_registry(inst).close()  # the installation's registry, then its older warehouse
    con = duckdb.connect(str(inst.warehouse))
    con.execute("CREATE SCHEMA raw")
    con.execute(BUILD_LOG_DDL.replace(",\n  changed_collections VARCHAR", ""))
    con.execute(
        "INSERT INTO raw.build_log VALUES "
        "(1, now()::TIMESTAMP, NULL, 'incremental', 'r', 'f', 1, 1)"
    )
    con.execute("CREATE TABLE raw.build_scope (lea_id VARCHAR)")
    con.execute("INSERT INTO raw.build_scope VALUES ('2500002')")
    con.close()
    con = connect(inst)  # ensure_schemas
    try:
        plan = current_plan(con)
        assert (plan.build_id, plan.mode, plan.collections) == (1, "incremental", None)
        assert (plan.lea_ids, plan.periods) == (("2500002",), ())
        assert con.execute("SELECT * FROM raw.build_scope").fetchall() == [("2500002", None)]
    finally:
        con.close()


def test_district_submissions_make_an_incremental_build_of_their_leas(env):
    registry, con = env
    _plan_and_finish(con, registry)
    _accept(registry, DeclaredKey("placements", "2500002", "2025-26"), b"v1")
    _accept(registry, DeclaredKey("ppps_count", "2500001", "2025-26"), b"c1")
    _reject(registry, DeclaredKey("child_find", "2500003", "2025-26"), b"bad")
    plan = plan_build(con, registry, VARS)
    assert plan.mode == "incremental"
    assert plan.lea_ids == ("2500001", "2500002")  # a rejected file changes no data
    assert plan.collections == ("placements", "ppps_count")  # not child_find: rejected
    assert plan.periods == ("2025-26",)
    assert current_plan(con) == plan  # what the dbt step reads back
    assert con.execute("SELECT lea_id, period FROM raw.build_scope ORDER BY 1").fetchall() == [
        ("2500001", "2025-26"),
        ("2500002", "2025-26"),
    ]
    finish_build(con, plan.build_id)
    assert _plan_and_finish(con, registry).lea_ids == ()  # nothing new since


def test_a_superseded_submission_marks_its_lea(env):
    registry, con = env
    key = DeclaredKey("placements", "2500004", "2025-26")
    _accept(registry, key, b"v1")
    _plan_and_finish(con, registry)
    _accept(registry, key, b"v2")
    assert plan_build(con, registry, VARS).lea_ids == ("2500004",)


@pytest.mark.parametrize(
    "key",
    [
        DeclaredKey("allocations", None, "2026"),
        DeclaredKey("leas", None, "current"),
        DeclaredKey("private_schools", None, "current"),
    ],
)
def test_state_level_data_rebuilds_everything(env, key):
    registry, con = env
    _plan_and_finish(con, registry)
    _accept(registry, DeclaredKey("placements", "2500002", "2025-26"), b"v1")
    _accept(registry, key, b"state file")
    plan = plan_build(con, registry, VARS)
    assert plan.full and plan.reason == f"state-level data changed: {key.collection}"
    assert plan.lea_ids == ()
    assert con.execute("SELECT count(*) FROM raw.build_scope").fetchone()[0] == 0


def test_a_new_as_of_date_or_profile_rebuilds_everything(env):
    registry, con = env
    _plan_and_finish(con, registry)
    plan = plan_build(con, registry, {**VARS, "as_of": "2026-11-02"})
    assert plan.full and "as-of date changed" in plan.reason


def test_a_new_national_reference_file_rebuilds_everything(env, tmp_path, monkeypatch):
    """dim_national_lre is built from the federal file the project ships: a release with a new
    one rebuilds it (an incremental build would leave the old national figures in place)."""
    registry, con = env
    _plan_and_finish(con, registry)
    assert foreseen_collections(con, registry, VARS, []) == ()
    newer = tmp_path / "national.csv"
    newer.write_bytes(national_reference.NATIONAL_FILE.read_bytes() + b"\n")
    monkeypatch.setattr(national_reference, "NATIONAL_FILE", newer)
    assert foreseen_collections(con, registry, VARS, []) is None
    plan = plan_build(con, registry, VARS)
    assert plan.full and "national reference file" in plan.reason


def test_a_change_to_the_suppression_code_rebuilds_everything(env, tmp_path, monkeypatch):
    """The shared tables' dbt models run sped/privacy's code: changed suppression code must
    reach every school year of every shared table (an incremental build would recompute only
    the changed years and keep the others as the old code hid them)."""
    import shutil

    from sped.warehouse import build_scope

    registry, con = env
    code = tmp_path / "privacy"
    shutil.copytree(build_scope.MODEL_CODE[0], code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(build_scope, "MODEL_CODE", (code,))
    _plan_and_finish(con, registry)
    _accept(registry, DeclaredKey("placements", "2500002", "2025-26"), b"v1")
    assert foreseen_collections(con, registry, VARS, []) == ("placements",)
    suppression = code / "suppression.py"
    suppression.write_text(suppression.read_text() + "\n# a changed rule\n")
    assert foreseen_collections(con, registry, VARS, []) is None
    plan = plan_build(con, registry, VARS)
    assert plan.full and "suppression code" in plan.reason


def test_a_failed_build_loses_nothing(env):
    registry, con = env
    _plan_and_finish(con, registry)
    _accept(registry, DeclaredKey("placements", "2500002", "2025-26"), b"v1")
    failed = plan_build(con, registry, VARS)  # dbt fails: never finished
    _accept(registry, DeclaredKey("placements", "2500005", "2025-26"), b"v1")
    retry = plan_build(con, registry, VARS)
    assert failed.lea_ids == ("2500002",)
    assert retry.lea_ids == ("2500002", "2500005")
    assert current_plan(con).build_id == retry.build_id


def test_a_run_foresees_the_collections_its_incremental_build_covers(env):
    registry, con = env

    def foresee(visiting, dbt_vars=VARS):
        return foreseen_collections(con, registry, dbt_vars, visiting)

    def pending(key: DeclaredKey, data: bytes) -> None:
        registry.receive(data, key, original_name="f.csv", submitter=OPERATOR)

    assert foresee(["placements"]) is None  # no finished build: the first one is full
    _plan_and_finish(con, registry)
    assert foresee(["placements", "monitoring_log"]) == ()  # only the submission statuses
    pending(DeclaredKey("placements", "2500002", "2025-26"), b"v1")
    assert foresee(["placements", "monitoring_log"]) == ("placements",)
    assert foresee(["monitoring_log"]) == ()  # the roster waits for another run
    assert foresee(["placements"], {**VARS, "as_of": "2026-11-02"}) is None
    pending(DeclaredKey("allocations", None, "2026"), b"state file")
    assert foresee(["allocations", "placements"]) is None  # it may be accepted
    assert foresee(["placements"]) == ("placements",)

    _accept(registry, DeclaredKey("child_find", "2500003", "2025-26"), b"cf")  # since the build
    _reject(registry, DeclaredKey("expenditures", "2500003", "2026"), b"bad")
    foreseen = foresee(["placements"])
    assert foreseen == ("child_find", "placements")
    (roster,) = registry.pending("placements")
    registry.record_outcome(roster.submission_id, [], row_count=1)  # the run's step accepts it
    plan = plan_build(con, registry, VARS)
    assert plan.mode == "incremental" and plan.collections == foreseen
    finish_build(con, plan.build_id)

    _accept(registry, DeclaredKey("leas", None, "current"), b"directory")
    assert foresee(["placements"]) is None
    assert plan_build(con, registry, VARS).full


def test_a_run_reads_the_marts_once_for_its_two_decisions_and_again_after_a_build(env, monkeypatch):
    """Whether the marts are still those last published is asked before a run's steps and
    again after them (the raw steps write no mart): the marts are read once for both, and read
    again once any build, finished or not, has started since."""
    from sped.warehouse import build_scope

    registry, con = env
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE OR REPLACE TABLE marts.t AS SELECT 1 AS x")
    read: list[int] = []
    real = build_scope.mart_digests_like
    monkeypatch.setattr(build_scope, "mart_digests_like", lambda c, p: read.append(1) or real(c, p))
    first = build_scope._marts_now(con, registry, {})
    assert build_scope._marts_now(con, registry, {}) == first and len(read) == 1
    plan_build(con, registry, VARS)  # a build starts (and never finishes)
    con.execute("UPDATE marts.t SET x = 2")
    assert build_scope._marts_now(con, registry, {}) != first and len(read) == 2


def test_an_untouched_warehouse_is_known_to_hold_the_published_marts_without_reading_them(
    inst, monkeypatch
):
    """Right after publishing, the working file's stamp says its marts are those published: the
    next decision reads none. Any write since (a mart changed by hand, its modification time
    even set back) has the marts read again, and the change found."""
    import os

    from sped.run.steps import publish
    from sped.warehouse import build_scope

    con = connect(inst)
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE OR REPLACE TABLE marts.t AS SELECT 1 AS x")
    con.close()
    publish(inst)
    read: list[int] = []
    real = build_scope.mart_digests_like
    monkeypatch.setattr(build_scope, "mart_digests_like", lambda c, p: read.append(1) or real(c, p))
    with open_registry(inst) as registry:
        published = registry.last_publication()
        con = connect(inst)
        try:
            build_scope._MART_DIGESTS.clear()
            assert build_scope._marts_now(con, registry, published) == published and read == []
        finally:
            con.close()
        before = os.stat(inst.warehouse)
        con = connect(inst)
        con.execute("UPDATE marts.t SET x = 2")
        con.close()
        os.utime(inst.warehouse, ns=(before.st_atime_ns, before.st_mtime_ns))
        con = connect(inst)
        try:
            build_scope._MART_DIGESTS.clear()
            assert build_scope._marts_now(con, registry, published) != published and read == [1]
        finally:
            con.close()


def test_a_write_ahead_log_beside_the_warehouse_has_the_marts_read(inst):
    """A write DuckDB has not yet put into the file itself (a run stopped mid-build leaves its
    log; opening the file applies it): the stamp cannot vouch for the marts."""
    from sped.run.steps import publish
    from sped.warehouse import publication_stamp

    con = connect(inst)
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE OR REPLACE TABLE marts.t AS SELECT 1 AS x")
    con.close()
    publish(inst)
    wal = inst.warehouse.with_name(inst.warehouse.name + ".wal")
    with open_registry(inst) as registry:
        published = registry.last_publication()
        assert publication_stamp.untouched_since(registry, inst.warehouse, published)
        wal.write_bytes(b"a log")
        try:
            assert not publication_stamp.untouched_since(registry, inst.warehouse, published)
        finally:
            wal.unlink()
        assert publication_stamp.untouched_since(registry, inst.warehouse, published)
