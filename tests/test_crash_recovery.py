"""Nothing accepted is ever lost, proved end to end on the small synthetic state with real
processes, against one uninterrupted run (the baseline), table for table (raw and every model):

- a `sped pipeline` killed with SIGKILL after the registry recorded every placements outcome but
  before the warehouse loaded a row; meanwhile a second run exits 3 and a third waits (--wait),
  then runs once the first is dead: it reloads the lost rows and equals the baseline;
- a portal-style run (`--changed-only`) after one district's new roster, killed the same way,
  then run again: equal to the same run uninterrupted, and that equal to a run visiting every
  collection;
- a run killed after it put its published snapshot in place and before it recorded its
  digests: verify names the interrupted publication, and the next run publishes again;
- a backup of the baseline restored elsewhere verifies and equals it; with its warehouse deleted,
  the next `sped pipeline` rebuilds the full result; `sped rebuild` gives it again, and a stored
  file changed afterwards stops the pipeline with a clear message.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.generate import generate
from sped.landing import store
from sped.operations.audit import verify
from sped.run.steps import open_registry

AS_OF = "2026-11-01"
SPED = str(Path(sys.executable).parent / "sped")
pytestmark = pytest.mark.slow

#: Schemas compared table for table; run times (validated_at) are the only columns left out.
SCHEMAS = ("raw", "staging", "intermediate", "marts", "shared")
RUN_TIME_COLUMNS = {"validated_at"}
BOOKKEEPING = {("raw", "build_log"), ("raw", "build_scope"), ("raw", "collections_settled"),
               ("raw", "registry_identity")}  # fmt: skip


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing") / "landing"
    generate(out, scale="small", years=2, seed=11)
    return out


def _pipeline(warehouse: Path, *extra: str) -> tuple[int, str]:
    import sped.cli as cli

    lines: list[str] = []
    original = cli.common.say
    cli.common.say = lines.append
    try:
        code = main(
            ["pipeline", "--create", "--warehouse", str(warehouse), "--as-of", AS_OF, *extra]
        )
    finally:
        cli.common.say = original
    return code, "\n".join(lines)


@pytest.fixture(scope="module")
def baseline(landing, tmp_path_factory) -> Installation:
    """One uninterrupted run."""
    inst = Installation(tmp_path_factory.mktemp("baseline") / "warehouse.duckdb")
    code, out = _pipeline(inst.warehouse, "--landing", str(landing))
    assert code == 0, out
    return inst


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> dict[tuple[str, str], list[str]]:
    rows = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = ? ORDER BY table_schema, table_name, ordinal_position",
        [db],
    ).fetchall()
    tables: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        wanted = schema in SCHEMAS and (schema, table) not in BOOKKEEPING
        if wanted and column not in RUN_TIME_COLUMNS:
            tables.setdefault((schema, table), []).append(column)
    return tables


def differences(left: Path, right: Path) -> list[str]:
    """Tables whose rows differ (as multisets) between two warehouses, or that one lacks."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{left}' AS l (READ_ONLY)")
        con.execute(f"ATTACH '{right}' AS r (READ_ONLY)")
        lt, rt = _tables(con, "l"), _tables(con, "r")
        diffs = [f"{s}.{t}: only in one" for s, t in sorted(set(lt) ^ set(rt))]
        for (schema, table), columns in sorted(lt.items()):
            if (schema, table) not in rt:
                continue
            cols = ", ".join(f'"{c}"' for c in columns)
            n = con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM l.{schema}.{table} EXCEPT ALL "
                f"SELECT {cols} FROM r.{schema}.{table})) + (SELECT count(*) FROM (SELECT {cols} "
                f"FROM r.{schema}.{table} EXCEPT ALL SELECT {cols} FROM l.{schema}.{table}))"
            ).fetchone()[0]
            if n:
                diffs.append(f"{schema}.{table}: {n} rows differ")
        assert len(lt) > 30, "the comparison covers every model"
        return diffs
    finally:
        con.close()


def _raw_rows(warehouse: Path, table: str = "placements") -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
    finally:
        con.close()


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, "the run ended before the kill point"
        assert time.monotonic() < deadline, "the run never reached the kill point"
        time.sleep(0.1)


def test_sigkill_before_the_load_then_a_waiting_rerun_equals_the_uninterrupted_run(
    baseline, landing, tmp_path
):
    inst = Installation(tmp_path / "killed" / "warehouse.duckdb")
    paused = tmp_path / "paused"
    args = [SPED, "pipeline", "--create", "--warehouse", str(inst.warehouse), "--as-of", AS_OF]
    env = {**os.environ, "SPED_PAUSE_AT": "decided:placements", "SPED_PAUSE_FILE": str(paused)}
    first = subprocess.Popen(
        [*args, "--landing", str(landing)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    waiting = None
    try:
        _wait_for(paused, first)
        with open_registry(inst) as reg:
            accepted = [s for s in reg.submissions(collection="placements") if s.row_count]
            accepted = [s for s in accepted if s.status == "accepted"]
        assert accepted, "the outcomes are recorded"

        # a second run while the first loads: told who runs, exit 3, nothing harmed
        second = subprocess.run(args, capture_output=True, text=True, timeout=600)
        assert second.returncode == 3, second.stdout + second.stderr
        assert f"a run is in progress (by {getpass.getuser()}, pid {first.pid}" in second.stderr
        assert first.poll() is None

        # a third waits for it
        waiting = subprocess.Popen(
            [*args, "--wait"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        line = waiting.stdout.readline()
        assert line.startswith("waiting: a run is in progress") and str(first.pid) in line

        first.send_signal(signal.SIGKILL)  # the power cut
        assert first.wait(60) == -signal.SIGKILL
        out, _ = waiting.communicate(timeout=1200)
        assert waiting.returncode == 0, out
    finally:
        for proc in (first, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert "warehouse repaired from the stored files" in out
    with open_registry(inst) as reg:
        reloaded = {e["submission_id"] for e in reg.events() if e["event"] == "reloaded"}
    assert {s.submission_id for s in accepted} <= reloaded
    assert differences(baseline.warehouse, inst.warehouse) == []
    assert differences(baseline.published_warehouse, inst.published_warehouse) == []
    assert verify(inst) == []


def _copy_with_a_new_roster(baseline: Installation, where: Path) -> Installation:
    """A copy of the baseline installation with one district's changed roster pending."""
    from bench.pipeline import _changed_roster
    from sped.landing.layout import DeclaredKey

    shutil.copytree(baseline.root, where)
    inst = Installation(where / baseline.warehouse.name)
    with open_registry(inst) as reg:
        sub = max(
            (s for s in reg.submissions(collection="placements") if s.status == "accepted"),
            key=lambda s: (s.period, s.row_count),
        )
        original = where / "roster.csv"
        original.write_bytes(reg.read_bytes(sub))
        key = DeclaredKey("placements", sub.lea_id, sub.period)
        receipt = reg.receive(
            _changed_roster(original, 1), key, original_name="roster.csv",
            submitter=sub.submitter, received_at="2026-10-30T12:00:00",
        )  # fmt: skip
    assert receipt.outcome == "new"
    return inst


def _settled(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            r[0] for r in con.execute("SELECT collection FROM raw.collections_settled").fetchall()
        }
    finally:
        con.close()


@contextlib.contextmanager
def _changed_only_run_killed_at(point: str, inst: Installation, paused: Path) -> Iterator[None]:
    """A `sped pipeline --changed-only` on `inst`, paused at the failpoint `point` for the
    block (sped/process/failpoints.py), then killed with SIGKILL."""
    env = {**os.environ, "SPED_PAUSE_AT": point, "SPED_PAUSE_FILE": str(paused)}
    args = [SPED, "pipeline", "--warehouse", str(inst.warehouse), "--as-of", AS_OF]
    run = subprocess.Popen(
        [*args, "--changed-only"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(paused, run)
        yield
        run.send_signal(signal.SIGKILL)
        assert run.wait(60) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            run.kill()


def test_a_changed_only_run_killed_then_rerun_equals_the_uninterrupted_run(
    baseline, tmp_path, caplog
):
    whole = _copy_with_a_new_roster(baseline, tmp_path / "whole")
    code, out = _pipeline(whole.warehouse)
    assert code == 0, out
    assert "not visited" not in out
    changed = _copy_with_a_new_roster(baseline, tmp_path / "changed")
    code, out = _pipeline(changed.warehouse, "--changed-only")
    assert code == 0, out
    # both runs are planned with only the dbt models their incremental build rebuilds: every
    # check they plan gets a result (Dagster warns of each blocking check that gets none)
    assert "incremental build foreseen (placements)" in out
    assert not [r for r in caplog.records if "emitted no result" in r.getMessage()]
    passed = out.split("settled, nothing changed: ")[1].split(" (not visited)")[0].split(", ")
    assert "placements" not in passed and "monitoring_log" not in passed  # it reads the roster
    assert {"leas", "allocations", "child_find", "expenditures"} <= set(passed)
    assert differences(whole.warehouse, changed.warehouse) == []  # as if all were visited

    killed = _copy_with_a_new_roster(baseline, tmp_path / "killed")
    with _changed_only_run_killed_at("decided:placements", killed, tmp_path / "paused"):
        pass
    assert "placements" not in _settled(killed.warehouse)  # the step never finished
    code, out = _pipeline(killed.warehouse, "--changed-only")
    assert code == 0, out
    assert "warehouse repaired from the stored files" in out
    assert differences(changed.warehouse, killed.warehouse) == []
    assert differences(changed.published_warehouse, killed.published_warehouse) == []
    assert _settled(killed.warehouse) == _settled(whole.warehouse)


def test_a_run_killed_between_putting_its_snapshot_in_place_and_recording_it(baseline, tmp_path):
    """Publishing puts the snapshot in place, then records its tables' digests. A run paused
    between the two is publishing (verify reports nothing); killed there, verify names the
    interrupted publication (not tables changed outside sped), and the next run publishes again:
    the same warehouse and snapshot as the run uninterrupted, and a trail that verifies."""
    uninterrupted = _copy_with_a_new_roster(baseline, tmp_path / "uninterrupted")
    code, out = _pipeline(uninterrupted.warehouse, "--changed-only")
    assert code == 0, out

    killed = _copy_with_a_new_roster(baseline, tmp_path / "killed")
    with _changed_only_run_killed_at("published:digesting", killed, tmp_path / "paused"):
        # the new snapshot is in place, readable, and its publication not yet recorded
        assert differences(uninterrupted.published_warehouse, killed.published_warehouse) == []
        assert verify(killed) == []
    assert [str(p) for p in verify(killed)] == [
        "published snapshot: a publication put it in place and was interrupted before it "
        "recorded its tables' digests, so they cannot be checked; the next run publishes again"
    ]
    code, out = _pipeline(killed.warehouse, "--changed-only")
    assert code == 0, out
    assert verify(killed) == []
    assert differences(uninterrupted.warehouse, killed.warehouse) == []
    assert differences(uninterrupted.published_warehouse, killed.published_warehouse) == []


def test_the_summary_reads_rows_from_the_warehouse(baseline, tmp_path):
    """With rows missing from the warehouse, the summary never claims them."""
    inst = Installation(tmp_path / "copy" / "warehouse.duckdb")
    shutil.copytree(baseline.root, inst.root, ignore=shutil.ignore_patterns("run.lock"))
    con = duckdb.connect(str(inst.warehouse))
    con.execute("DELETE FROM raw.placements")
    con.close()
    from sped.launch.pipeline_run import _summary

    lines: list[str] = []
    _summary(inst, {}, lines.append)
    text = "\n".join(lines)
    placements = next(line for line in lines if line.startswith("placements "))
    assert placements.split()[-1] == "0"
    assert "NOT ALL ACCEPTED ROWS ARE IN THE WAREHOUSE" in text


def test_backup_restore_delete_the_warehouse_rebuild(baseline, tmp_path, capsys):
    backup_dir = tmp_path / "backup"
    assert main(["backup", "--warehouse", str(baseline.warehouse), "--to", str(backup_dir)]) == 0
    assert (backup_dir / "manifest.json").is_file()

    restored = Installation(tmp_path / "restored" / "warehouse.duckdb")
    code = main(["restore", "--from", str(backup_dir), "--warehouse", str(restored.warehouse)])
    assert code == 0, capsys.readouterr()
    assert main(["audit", "verify", "--warehouse", str(restored.warehouse)]) == 0
    assert differences(baseline.warehouse, restored.warehouse) == []
    with open_registry(baseline) as a, open_registry(restored) as b:
        assert a.submissions() == b.submissions()
        assert [tuple(e) for e in a.events()] == [tuple(e) for e in b.events()]
    assert sorted(p.name for p in store.stored_files(restored.store)) == sorted(
        p.name for p in store.stored_files(baseline.store)
    )
    # a restore never overwrites an installation
    capsys.readouterr()
    code = main(["restore", "--from", str(backup_dir), "--warehouse", str(restored.warehouse)])
    assert code == 2 and "already holds an installation" in capsys.readouterr().err

    # registry and store kept, warehouse deleted: the next run gives the full result
    restored.warehouse.unlink()
    code, out = _pipeline(restored.warehouse)
    assert code == 0, out
    assert differences(baseline.warehouse, restored.warehouse) == []
    placements = next(line for line in out.splitlines() if line.startswith("placements "))
    assert placements.split()[-1] == f"{_raw_rows(baseline.warehouse):,}"

    # rebuild: every raw table and model again from the stored files, swapped in
    code = main(["rebuild", "--warehouse", str(restored.warehouse), "--as-of", AS_OF])
    assert code == 0, capsys.readouterr()
    assert differences(baseline.warehouse, restored.warehouse) == []
    assert differences(baseline.warehouse, restored.published_warehouse) == []
    assert not (restored.root / ".rebuild").exists()
    assert main(["audit", "verify", "--warehouse", str(restored.warehouse)]) == 0

    # one changed byte in a stored file in force: audit verify names it, the pipeline halts
    with open_registry(restored) as reg:
        sub = reg.submissions(collection="placements", status="accepted")[0]
    path = store.stored_path(restored.store, sub.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-2] ^= 1
    path.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["audit", "verify", "--warehouse", str(restored.warehouse)]) == 1
    assert sub.sha256[:12] in capsys.readouterr().out
    code, out = _pipeline(restored.warehouse)
    assert code == 1
    assert f"submission {sub.submission_id} (placements" in out and "SHA-256" in out


def test_a_backup_that_was_changed_is_refused(baseline, tmp_path, capsys):
    backup_dir = tmp_path / "backup"
    assert main(["backup", "--warehouse", str(baseline.warehouse), "--to", str(backup_dir)]) == 0
    stored = next((backup_dir / "store").rglob("*"))
    while stored.is_dir():
        stored = next(stored.iterdir())
    stored.write_bytes(stored.read_bytes() + b"x")
    capsys.readouterr()
    target = tmp_path / "target" / "warehouse.duckdb"
    assert main(["restore", "--from", str(backup_dir), "--warehouse", str(target)]) == 2
    assert "does not match the manifest" in capsys.readouterr().err
    assert not target.exists()
