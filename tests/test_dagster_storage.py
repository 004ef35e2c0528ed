"""The installation's Dagster event log (sped/frameworks/dagster_storage.py): Dagster's own
SQLite files, readable by Dagster's own storage class, shared safely with another instance on the
same home, and with the run's database file brought up to date at every step (what `dagster dev`
watches). A new run's database is the one Dagster's own storage makes. The Dagster internals the
storage relies on are checked to be there, on the version they were checked against."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from dagster import (
    AssetCheckResult,
    DagsterEventType,
    Definitions,
    asset,
    asset_check,
    define_asset_job,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from sped.config import settings
from sped.frameworks.dagster_home import dagster_home, open_instance
from sped.frameworks.dagster_storage import SpedEventLogStorage


@asset
def first() -> int:
    return 1


@asset
def second(first: int) -> int:
    return first + 1


@asset_check(asset=second)
def second_is_two(second: int) -> AssetCheckResult:
    return AssetCheckResult(passed=second == 2)


JOB = Definitions(
    assets=[first, second], asset_checks=[second_is_two], jobs=[define_asset_job("tiny")]
).resolve_job_def("tiny")


@pytest.fixture
def inst(tmp_path):
    inst = settings.installation(str(tmp_path / "inst" / "warehouse.duckdb"))
    inst.create()
    return inst


def _event_types(db_file) -> list[str]:
    con = sqlite3.connect(db_file)
    try:
        return [r[0] for r in con.execute("SELECT dagster_event_type FROM event_logs ORDER BY id")]
    finally:
        con.close()


def test_the_installation_uses_the_kept_engine_storage_in_dagsters_own_folders(inst):
    with open_instance(inst) as instance:
        assert isinstance(instance.event_log_storage, SpedEventLogStorage)
        result = JOB.execute_in_process(instance=instance)
        assert result.success
    runs_dir = dagster_home(inst) / "storage" / "history" / "runs"
    assert (runs_dir / f"{result.run_id}.db").exists() and (runs_dir / "index.db").exists()


def test_dagsters_own_sqlite_storage_reads_what_it_wrote(inst):
    """What `dagster dev` would read with Dagster's default storage: every event, the
    materializations and the check evaluation, across runs (the index database)."""
    with open_instance(inst) as instance:
        runs = [JOB.execute_in_process(instance=instance).run_id for _ in range(2)]
    own = SqliteEventLogStorage(str(dagster_home(inst) / "storage" / "history" / "runs"))
    try:
        for run_id in runs:
            logs = own.get_logs_for_run(run_id)
            kinds = [e.dagster_event_type for e in logs if e.is_dagster_event]
            assert kinds.count(DagsterEventType.ASSET_MATERIALIZATION) == 2
            assert DagsterEventType.ASSET_CHECK_EVALUATION in kinds
            assert kinds[-1] == DagsterEventType.RUN_SUCCESS
        [record] = own.get_asset_records([first.key])
        assert record.asset_entry.last_materialization.run_id == runs[-1]
    finally:
        own.dispose()


def test_two_instances_on_one_home_write_in_turn(inst):
    """Kept connections hold no lock between uses: another instance on the same home (another
    process in production: `dagster dev`, the daemon) writes and reads between this one's runs."""
    with open_instance(inst) as one, open_instance(inst) as two:
        a = JOB.execute_in_process(instance=one).run_id
        b = JOB.execute_in_process(instance=two).run_id
        c = JOB.execute_in_process(instance=one).run_id
        for instance in (one, two):
            assert {r.run_id for r in instance.get_runs()} == {a, b, c}
            record = instance.get_latest_materialization_event(second.key)
            assert record is not None and record.run_id == c


def test_the_runs_database_file_is_current_while_the_instance_is_open(inst, tmp_path):
    """The run's .db file alone (without its WAL) already holds the run's end: `dagster dev`
    follows a run by watching that file, and the kept connections do not checkpoint on close."""
    with open_instance(inst) as instance:
        run_id = JOB.execute_in_process(instance=instance).run_id
        alone = tmp_path / "alone.db"
        shutil.copyfile(dagster_home(inst) / "storage" / "history" / "runs" / f"{run_id}.db", alone)
        kinds = _event_types(alone)
    assert "STEP_SUCCESS" in kinds and kinds[-1] == "PIPELINE_SUCCESS", kinds


def test_a_wipe_leaves_no_connection_to_a_deleted_database(inst):
    """Dagster's wipe (of the whole event log) deletes the run databases: an event stored for
    a run after it lands in a new file, not through a kept connection to the deleted one."""
    with open_instance(inst) as instance:
        run_id = JOB.execute_in_process(instance=instance).run_id
        instance.event_log_storage.wipe()
        instance.report_engine_event("after the wipe", instance.get_run_by_id(run_id))
        stored = dagster_home(inst) / "storage" / "history" / "runs" / f"{run_id}.db"
        assert stored.exists()
        assert _event_types(stored) == ["ENGINE_EVENT"]


def _layout(db_file) -> tuple:
    """What `_initdb` decides of a database: its tables and indexes, its migration revision
    and its journal mode."""
    con = sqlite3.connect(db_file)
    try:
        return (
            sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()),
            con.execute("SELECT version_num FROM alembic_version").fetchall(),
            con.execute("PRAGMA journal_mode").fetchall(),
        )
    finally:
        con.close()


def test_a_new_runs_database_is_the_one_dagsters_own_storage_makes(inst, tmp_path):
    runs_dir = dagster_home(inst) / "storage" / "history" / "runs"
    with open_instance(inst) as instance:
        runs = [JOB.execute_in_process(instance=instance).run_id for _ in range(2)]
    own = SqliteEventLogStorage(str(tmp_path / "own"))
    try:
        with own.run_connection("made_by_dagster"):
            pass
    finally:
        own.dispose()
    made = _layout(tmp_path / "own" / "made_by_dagster.db")
    assert made[1] and made[2] == [("wal",)]
    assert [_layout(runs_dir / f"{run_id}.db") for run_id in runs] == [made, made]


def test_the_dagster_internals_the_storage_relies_on_are_there():
    """Fails loudly when Dagster changes: another version than the one the storage's use of
    Dagster's internals was checked against, or an internal it uses gone or reshaped. Then read
    sped/frameworks/dagster_storage.py against the new version before changing the pin."""
    import inspect

    import dagster

    from sped.frameworks import dagster_storage

    assert dagster.__version__ == dagster_storage.CHECKED_DAGSTER, (
        f"Dagster {dagster.__version__}: check sped/frameworks/dagster_storage.py's use of its "
        f"internals (checked against {dagster_storage.CHECKED_DAGSTER}), then update the pin"
    )
    gone = [
        n
        for n in dagster_storage.INTERNALS_USED
        if not callable(getattr(SqliteEventLogStorage, n, None))
    ]
    assert gone == []
    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    assert list(inspect.signature(SqliteEventLogStorage._initdb).parameters)[:2] == [
        "self",
        "engine",
    ]
    assert inspect.isgeneratorfunction(inspect.unwrap(SqliteEventLogStorage._connect))


def test_a_storage_has_the_private_state_the_kept_engines_use(tmp_path):
    from sped.frameworks.dagster_storage import STATE_USED

    storage = SqliteEventLogStorage(str(tmp_path / "runs"))
    try:
        assert set(STATE_USED) <= set(vars(storage))
        assert isinstance(storage._initialized_dbs, set)
        with storage._db_lock:  # a lock, as the kept engines take it
            pass
    finally:
        storage.dispose()
