"""One pipeline run per installation at a time, proved with real processes: a second run says
who is running and since when and exits 3, or waits with --wait; the running one is unharmed;
the Dagster job itself takes the same lock; a killed holder leaves no stale lock."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sped.cli import EXIT_RUN_IN_PROGRESS, main
from sped.run.run_lock import RunInProgress, current_holder, run_lock

HOLD = """
import sys
from pathlib import Path
from sped.run.run_lock import run_lock
with run_lock(Path(sys.argv[1]), "a test holder"):
    print("held", flush=True)
    sys.stdin.read()
"""
SPED = str(Path(sys.executable).parent / "sped")


@pytest.fixture
def holder(inst):
    """Another process holding the installation's run lock until its stdin closes."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(inst.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.stdin.close()
        proc.wait(30)


def test_a_second_holder_is_told_who_runs_and_since_when(inst, holder):
    with pytest.raises(RunInProgress) as caught, run_lock(inst.root, "second"):
        pass
    text = str(caught.value)
    assert f"by {getpass.getuser()}, pid {holder.pid}, since 20" in text
    assert "a test holder" in text
    assert current_holder(inst.root).pid == holder.pid
    holder.stdin.close()
    holder.wait(30)
    assert current_holder(inst.root) is None
    with run_lock(inst.root, "second"):  # free again
        assert current_holder(inst.root).pid == os.getpid()


def test_a_killed_holder_leaves_no_stale_lock(inst, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    with run_lock(inst.root, "after a crash"):
        pass


def test_the_lock_is_reentrant_within_one_process(inst):
    with run_lock(inst.root, "outer"), run_lock(inst.root, "inner"):
        assert current_holder(inst.root).what == "outer"
    assert current_holder(inst.root) is None


def test_a_second_pipeline_exits_3_saying_a_run_is_in_progress(inst, holder, capsys):
    code = main(["pipeline", "--warehouse", str(inst.warehouse)])
    err = capsys.readouterr().err
    assert code == EXIT_RUN_IN_PROGRESS == 3
    assert f"a run is in progress (by {getpass.getuser()}, pid {holder.pid}, since" in err
    assert not inst.warehouse.exists()  # it touched nothing
    assert holder.poll() is None  # the running one is unharmed


def test_the_dagster_job_takes_the_same_lock(inst, holder):
    """A run started by Dagster itself (dagster dev, the schedule, the sensor) fails at once,
    before any step, when another run holds the installation."""
    from dagster import DagsterInstance

    from dagster_project.definitions import defs
    from dagster_project.resources import Progress, SpedSettings

    job = defs.resolve_job_def("pipeline")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources={
                "sped": SpedSettings(warehouse=str(inst.warehouse), as_of="2026-11-01"),
                "progress": Progress(lambda _m: None),
            },
            raise_on_error=False,
        )
    assert not result.success
    failures = " ".join(
        str(e.event_specific_data) for e in result.all_events if e.is_failure or e.is_run_failure
    )
    assert "a run is in progress" in failures and str(holder.pid) in failures
    assert not inst.warehouse.exists()


def test_the_sensor_requests_no_run_while_one_is_in_progress(inst, holder, monkeypatch):
    from dagster import SkipReason, build_sensor_context

    from dagster_project.sensors import new_submissions

    inbox = inst.root.parent / "inbox"
    (inbox / "reference").mkdir(parents=True)
    (inbox / "reference" / "leas.csv").write_text("lea_id,name,county,lea_type\n")
    monkeypatch.setenv("SPED_WAREHOUSE", str(inst.warehouse))
    monkeypatch.setenv("SPED_LANDING", str(inbox))
    skipped = new_submissions(build_sensor_context())
    assert isinstance(skipped, SkipReason)
    assert f"a run is in progress (by {getpass.getuser()}, pid {holder.pid}" in str(
        skipped.skip_message
    )
    holder.stdin.close()
    holder.wait(30)
    assert new_submissions(build_sensor_context()).run_key  # the next tick asks for the run
