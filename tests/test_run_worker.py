"""The warm worker the portal runs pipelines through (sped/launch/run_worker.py): each run a forked
child with the command's own exit code and output, a refusal when forking would be unsafe, and
the portal's runner falling back to a fresh process whenever the worker cannot run."""

from __future__ import annotations

import threading

import pytest

from sped.launch import run_worker
from sped.launch.run_worker import WarmWorker
from sped.operations.initialise import initialise
from sped.web.pipeline_trigger import PipelineRunner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = WarmWorker(log)
    yield worker
    worker.close()


def test_a_run_is_a_child_with_the_commands_exit_code_and_output(worker, tmp_path):
    """The child runs the pipeline's own function (not the command line) with `sped pipeline`'s
    exit codes and messages."""
    log = tmp_path / "run.log"
    warehouse = str(tmp_path / "inst" / "warehouse.duckdb")
    assert worker.run({"warehouse": warehouse, "no_such_option": 1}, log) == 2
    assert "unknown run option(s): no_such_option" in log.read_text()
    missing = tmp_path / "nowhere.yaml"
    code = worker.run({"warehouse": warehouse, "profile": str(missing)}, log)
    assert code == 2 and "sped: state profile:" in log.read_text()
    assert worker.run({"warehouse": warehouse, "as_of": "not a date"}, log) == 2
    assert not (tmp_path / "inst").exists()  # every option is checked before anything is made
    assert worker.usable  # the worker itself goes on after each of them


def test_the_worker_refuses_to_fork_once_an_import_started_a_thread():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="started-by-an-import")
    thread.start()
    try:
        why = run_worker.warm_up()
    finally:
        stop.set()
        thread.join()
    assert why is not None and "started-by-an-import" in why and "forking is unsafe" in why


def test_a_dead_worker_means_a_fresh_process_and_a_new_worker(tmp_path):
    inst_dir = tmp_path / "inst"
    from sped.config import settings

    inst = settings.installation(str(inst_dir / "warehouse.duckdb"))
    initialise(inst)  # as `sped init` makes it (a run refuses a missing installation)
    runner = PipelineRunner(inst, None, as_of="2026-11-01")
    first = runner._worker
    try:
        first._proc.kill()
        first._proc.wait()
        code, busy = runner._run_once()  # the landing-less run of an empty installation
        assert runner.last_warm is False
        assert code == 0 and not busy, runner.log_path.read_text()[-2000:]
        assert "could not run it" in runner.log_path.read_text()
        assert runner._worker is not None and runner._worker is not first
        code, _ = runner._run_once()
        assert code == 0 and runner.last_warm is True, runner.log_path.read_text()[-2000:]
    finally:
        runner.close()
    assert runner._worker is None
    # Both runs are the portal's in Dagster, the fresh process's too (sped/run/run_tags.py)
    from sped.frameworks.dagster_home import open_instance

    with open_instance(inst) as instance:
        runs = instance.get_runs()  # newest first: the warm run, then the fresh process's
    assert [r.tags["sped/trigger"] for r in runs] == ["portal", "portal"]


def test_the_workers_dbt_parse_writes_only_its_scratch_and_the_stored_parse(tmp_path, monkeypatch):
    """`prepare` (what the worker runs before forking) leaves the process as it found it: the
    working directory and SPED_WAREHOUSE; it writes the stored parse for the runs' vars."""
    import os

    from sped.frameworks import dbt_cli

    monkeypatch.setattr(dbt_cli, "PARSE_CACHE", tmp_path / "parses")
    monkeypatch.setenv("SPED_WAREHOUSE", str(tmp_path / "somewhere" / "warehouse.duckdb"))
    cwd = os.getcwd()
    dbt_vars = run_worker.run_vars(None, "2026-11-01")
    assert dbt_cli.prepare(dbt_vars)
    assert os.getcwd() == cwd
    assert os.environ["SPED_WAREHOUSE"] == str(tmp_path / "somewhere" / "warehouse.duckdb")
    assert [p.name for p in (tmp_path / "parses").iterdir()] == [
        f"{dbt_cli.vars_key(dbt_vars)}.msgpack"
    ]
    assert not (tmp_path / "somewhere").exists()


def test_the_workers_dbt_rehearsal_builds_in_a_scratch_folder_and_leaves_no_thread(
    tmp_path, monkeypatch
):
    """`rehearse_dbt` (run once before the worker forks) builds the whole project on an empty
    warehouse of its own; afterwards the process is as it was:
    no scratch folder, no thread, the same working directory and SPED_WAREHOUSE, and no dbt
    output on stdout (the worker's protocol)."""
    import os
    import tempfile

    from sped.frameworks import dbt_cli

    monkeypatch.setattr(dbt_cli, "PARSE_CACHE", tmp_path / "parses")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("SPED_WAREHOUSE", str(tmp_path / "somewhere" / "warehouse.duckdb"))
    cwd, threads = os.getcwd(), set(threading.enumerate())
    out = tmp_path / "stdout"
    with open(out, "w") as stdout:
        monkeypatch.setattr("sys.stdout", stdout)
        assert run_worker.rehearse_dbt(None, "2026-11-01")
    assert out.read_text() == ""
    assert set(threading.enumerate()) == threads
    assert os.getcwd() == cwd
    assert os.environ["SPED_WAREHOUSE"] == str(tmp_path / "somewhere" / "warehouse.duckdb")
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "somewhere").exists()


def test_a_run_ended_by_the_application_stopping_starts_no_new_process(tmp_path, monkeypatch):
    """The application stops (close()) while the worker runs: the run is not started again
    as a fresh process behind the stopping server's back."""
    from sped.config import settings

    inst = settings.installation(str(tmp_path / "inst" / "warehouse.duckdb"))
    runner = PipelineRunner(inst, None, as_of="2026-11-01")
    try:

        def stopped_midway(_argv, _log):
            runner.warm = False  # what close() sets before it stops the worker
            return None

        monkeypatch.setattr(runner._worker, "run", stopped_midway)
        started = []
        monkeypatch.setattr("subprocess.run", lambda *a, **k: started.append(a))
        assert runner._run_once() == (1, False)
        assert not started
        assert "no new process started" in runner.log_path.read_text()
    finally:
        monkeypatch.undo()
        runner.close()


def test_the_applications_shutdown_ends_its_worker(tmp_path):
    from fastapi.testclient import TestClient

    from sped.config import settings
    from sped.web.app import create_app

    inst = settings.installation(str(tmp_path / "inst" / "warehouse.duckdb"))
    app = create_app(inst, as_of="2026-11-01", start_pipeline=True, warm_up=False)
    worker = app.state.portal.runner._worker._proc
    with TestClient(app) as client:  # startup, then shutdown when the block ends
        assert client.get("/signin").status_code == 200
        assert worker.poll() is None
    assert worker.wait(timeout=60) == 0


def test_a_worker_that_ends_leaves_no_semaphore_for_the_resource_tracker_to_report(tmp_path):
    """dbt's adapter and parsed project hold named semaphores; a worker ending without letting
    go of them had multiprocessing's resource tracker write "leaked semaphore objects" into the
    runs' log after every stop of the portal. The tracker keeps the worker's stderr open until
    it has ended, so the output read here includes anything it said."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "sped.launch.run_worker", "--as-of", "2026-11-01"],
        input="",  # the portal closing its end at once: warm up, then end
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '"ready": true' in proc.stdout
    assert "leaked" not in proc.stderr, proc.stderr[-3000:]


def test_a_worker_that_cannot_fork_leaves_runs_to_fresh_processes(tmp_path, monkeypatch):
    """A worker that started and said forking is unsafe is not replaced by another (it would
    say the same): the run and the next ones are fresh `sped pipeline` processes."""
    import subprocess

    from sped.config import settings

    inst = settings.installation(str(tmp_path / "inst" / "warehouse.duckdb"))
    runner = PipelineRunner(inst, None, as_of="2026-11-01")
    refusing = runner._worker
    try:
        said = {"ready": False, "why": "an import started threads (x); forking is unsafe"}
        monkeypatch.setattr(refusing, "_read", lambda _timeout: said)
        started = []

        def fresh_process(*args, **_kwargs):
            started.append(args)
            return subprocess.CompletedProcess(args, 0)

        monkeypatch.setattr(subprocess, "run", fresh_process)
        assert runner._run_once() == (0, False)
        assert started and refusing.refused and runner._worker is None
        assert "forking is unsafe" in runner.log_path.read_text()
    finally:
        monkeypatch.undo()
        refusing.close()
        runner.close()


def test_a_warm_worker_keeps_its_objects_out_of_the_runs_collector(monkeypatch):
    """After warming up, the worker's objects are frozen: a forked run's full collection does
    not walk them (it was a pause of about 0.4 s in every run)."""
    import gc

    from sped.launch import run_imports

    monkeypatch.setattr(run_imports, "_FROZEN_FOR_GOOD", False)  # put back after the test
    gc.unfreeze()  # an earlier test may have warmed this process up
    assert gc.get_freeze_count() == 0
    try:
        run_worker.warm_up()  # (it may refuse to fork here: the test process has threads)
        assert gc.get_freeze_count() > 100_000 and run_imports._FROZEN_FOR_GOOD
    finally:
        gc.unfreeze()


def test_a_run_keeps_its_imports_out_of_the_collector_only_while_it_runs(monkeypatch):
    """sped/launch/run_imports.py: frozen for the run, unfrozen after (a notebook or the test suite
    can free them again), except in a process frozen for good before (a worker's child)."""
    import gc

    from sped.launch import run_imports
    from sped.launch.run_imports import freeze_for_good, imports_frozen

    monkeypatch.setattr(run_imports, "_FROZEN_FOR_GOOD", False)  # put back after the test
    gc.unfreeze()
    with imports_frozen():
        assert gc.get_freeze_count() > 100_000
    assert gc.get_freeze_count() == 0
    freeze_for_good()
    try:
        with imports_frozen():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


REHEARSED_THEN_RUN = """
import sys
from pathlib import Path
from sped.launch import run_worker
from sped.launch.pipeline_run import run_pipeline
from sped.launch.run_imports import import_run_modules
import_run_modules()
run_worker.resolve_definitions()
assert run_worker.rehearse_dagster()
before = {m for m in sys.modules if m.split('.')[0] == 'dagster'}
code = run_pipeline(landing=None, warehouse=sys.argv[1], profile=None, as_of='2026-11-01',
                    submitter='operator:test', out=lambda m: None)
assert code == 0, code
print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster' and m not in before))
"""


def test_the_workers_dagster_rehearsal_imports_what_a_run_imports(tmp_path):
    """The worker names no private Dagster module: it runs a one-asset job through Dagster's
    public API (`rehearse_dagster`), and a pipeline run after it imports no Dagster module the
    rehearsal did not (a forked run would otherwise import them itself, unfrozen)."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", REHEARSED_THEN_RUN, str(tmp_path / "w" / "warehouse.duckdb")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
