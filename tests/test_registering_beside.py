"""A run's landing folder registered in a helper process while the run imports
(sped/launch/registering.py): the same receipts as a registration in the run's own process, its
progress lines passed on, the run registering itself when the helper is killed, and a run killed
while its helper registers ending that helper, its rerun then equal to an uninterrupted one."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sped.config.settings import Installation
from sped.generate import generate
from sped.ingest.parts import is_workbook
from sped.launch import registering
from sped.launch.run_imports import import_run_modules
from sped.process.helper_watch import identity
from sped.run.steps import REGISTERING_LOCK, open_registry, register_landing

SUBMITTER = f"operator:{getpass.getuser()}"
SPED = str(Path(sys.executable).parent / "sped")

#: In a fresh interpreter (the run's libraries not yet imported): register argv[2] into the
#: installation of argv[1] with `registered_beside`, and print what it did as JSON.
BESIDE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from sped.config.settings import Installation
    from sped.launch import registering
    from sped.process.helper_watch import identity

    def gone(pid):
        deadline = time.monotonic() + 10
        while identity(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        return identity(pid) is None

    inst, lines = Installation(Path(sys.argv[1])), []
    with registering.registered_beside(
        inst, Path(sys.argv[2]), submitter=sys.argv[3], limits=None, out=lines.append
    ) as registration:
        pending = registering.imports_pending()
        summary = registration.summary()
        try:  # the pending workbooks it read, once registered (none if it was killed)
            ahead = registration.reading.result() if registration.reading else {}
        except Exception:
            ahead = {}
        helper = registration.helper_pid
        ended = helper is None or gone(helper)  # its work done, the helper ends by itself
    print(json.dumps({"where": registration.where, "pending": pending, "lines": lines,
                      "new": dict(summary.new), "duplicates": summary.duplicates,
                      "ahead": sorted(ahead), "ended": ended}))
    """
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing") / "landing"
    generate(out, scale="small", years=1, seed=5)
    return out


def receipts(inst: Installation) -> list[tuple]:
    """Every receipt's landing path, bytes and outcome, and every submission's key and bytes."""
    registry = open_registry(inst)
    try:
        got = sorted((r["landing_path"], r["sha256"], r["outcome"]) for r in registry.receipts())
        subs = sorted((s.collection, s.lea_id, s.period, s.sha256) for s in registry.submissions())
        return got + subs
    finally:
        registry.close()


def here(inst: Installation, landing: Path) -> dict:
    """An uninterrupted registration in this process."""
    lines: list[str] = []
    summary, _seconds = registering.register(inst, landing, SUBMITTER, None, lines.append)
    return {"new": dict(summary.new), "duplicates": summary.duplicates, "lines": lines}


def _beside(inst: Installation, landing: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BESIDE, str(inst.warehouse), str(landing), SUBMITTER],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def test_a_fresh_run_registers_in_a_helper_with_the_receipts_and_lines_it_would_get_here(
    landing, tmp_path
):
    beside, alone = (Installation(tmp_path / n / "warehouse.duckdb") for n in ("beside", "here"))
    proc = _beside(beside, landing)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0
    done = json.loads(out)
    assert done["where"] == "helper" and done["pending"], "registered beside the imports"
    assert done["ended"], "the helper ended once it had read the workbooks"
    assert len(done["lines"]) > 5, "its progress lines were passed on"
    assert here(alone, landing) == {k: done[k] for k in ("new", "duplicates", "lines")}
    assert receipts(beside) == receipts(alone)
    with open_registry(beside) as registry:  # then it read every workbook registered
        workbooks = [s.submission_id for s in registry.submissions() if is_workbook(s)]
    assert workbooks and done["ahead"] == sorted(workbooks)


def test_a_process_that_already_holds_the_run_libraries_registers_itself(landing, tmp_path):
    import_run_modules()
    inst = Installation(tmp_path / "warehouse.duckdb")
    lines: list[str] = []
    with registering.registered_beside(
        inst, landing, submitter=SUBMITTER, limits=None, out=lines.append
    ) as registration:
        summary = registration.summary()
    assert registration.where == "here" and sum(summary.new.values()) > 50
    assert lines[-1].startswith("  registered ")


def _paused(path: Path, proc: subprocess.Popen) -> int:
    """The pid of the process paused at the failpoint."""
    deadline = time.monotonic() + 300
    while not path.exists():
        assert proc.poll() is None, "ended before the pause point"
        assert time.monotonic() < deadline, "never reached the pause point"
        time.sleep(0.05)
    return int(path.read_text())


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while identity(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_helper_killed_after_recording_receipts_leaves_its_caller_to_register_the_rest(
    landing, tmp_path
):
    beside, alone = (Installation(tmp_path / n / "warehouse.duckdb") for n in ("beside", "here"))
    pause = tmp_path / "paused"
    proc = _beside(
        beside, landing, SPED_PAUSE_AT="registering:recorded", SPED_PAUSE_FILE=str(pause)
    )
    helper = _paused(pause, proc)
    assert helper != proc.pid, "the helper, not the caller, registers"
    os.kill(helper, signal.SIGKILL)
    pause.with_name(pause.name + ".go").touch()  # the caller's own registration goes on
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0
    done = json.loads(out)
    assert done["where"] == "here", "the caller registered the folder itself"
    here(alone, landing)
    assert receipts(beside) == receipts(alone), "every file received once, as uninterrupted"


def test_a_run_killed_while_its_helper_registers_ends_the_helper_and_a_rerun_completes_it(
    landing, tmp_path
):
    killed, alone = (Installation(tmp_path / n / "warehouse.duckdb") for n in ("killed", "here"))
    pause = tmp_path / "paused"
    run = [SPED, "pipeline", "--create", "--warehouse", str(killed.warehouse)]
    proc = subprocess.Popen(
        [*run, "--landing", str(landing)],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "SPED_PAUSE_AT": "registering:recorded", "SPED_PAUSE_FILE": str(pause)},
    )
    helper = _paused(pause, proc)
    assert helper != proc.pid
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert _gone(helper), "the helper ended with the run it worked for"
    # registering again completes what the killed run's helper began: as one registration
    here(killed, landing)
    here(alone, landing)
    assert receipts(killed) == receipts(alone)


def test_a_registration_holds_the_installation_registration_lock(landing, tmp_path):
    inst = Installation(tmp_path / "warehouse.duckdb")
    registry = open_registry(inst)
    lock = registry.path.with_name(REGISTERING_LOCK)

    def probe() -> str:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return "free"
        except BlockingIOError:
            return "held"
        finally:
            os.close(fd)

    seen: list[str] = []
    try:
        register_landing(
            landing, registry, submitter=SUBMITTER, progress=lambda _m: seen.append(probe())
        )
    finally:
        registry.close()
    assert seen and set(seen) == {"held"}, "held for the whole registration"
    assert probe() == "free", "and released at its end"
