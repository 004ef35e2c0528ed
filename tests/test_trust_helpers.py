"""Killing only the process that reads a batch or suppresses the school years (SIGKILL: it
cannot shut anything down) leaves nothing of it running: its helpers notice it died and end,
and with them the fork server and multiprocessing's resource tracker
(sped/process/helper_watch.py, used by sped/ingest/read_helpers.py and sped/privacy/by_year.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil

from sped.config.settings import REPO_ROOT

#: A caller that offers one file to a helper (its recorded size makes it worth one), waits for
#: the result, says so, and then sleeps with its helper idle.
CALLER = """
import dataclasses, sys, time
from pathlib import Path

from sped.contracts import get
from sped.ingest.read_helpers import read_in_helpers
from sped.landing.layout import DeclaredKey
from sped.config.settings import Installation
from sped.run.steps import open_registry
from tests.state_channel import OPERATOR

if __name__ == "__main__":
    inst = Installation(Path(sys.argv[1]) / "warehouse.duckdb").create()
    data = b"lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\\n2500001,2026,1.00,1.00\\n"
    with open_registry(inst) as reg:
        key = DeclaredKey("allocations", None, "2026")
        sid = reg.receive(data, key, original_name="a.csv", submitter=OPERATOR).submission_id
        sub = dataclasses.replace(reg.submission(sid), size_bytes=10**9)
        with read_in_helpers(reg, get("allocations"), [sub], None) as offered:
            assert offered.futures[sid].result().table is not None
            print("helpers ready", flush=True)
            time.sleep(600)
"""


def _running(procs: list[psutil.Process]) -> list[int]:
    alive = []
    for proc in procs:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_killing_only_the_caller_ends_its_helpers_and_fork_server(tmp_path):
    script = tmp_path / "caller.py"
    script.write_text(CALLER)
    with _started(script, str(tmp_path / "inst")) as (caller, others):
        assert caller.stdout.readline().strip() == "helpers ready"
        others[:] = psutil.Process(caller.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in others)
        assert "forkserver" in names and len(others) >= 3  # tracker, fork server, a helper
        _kill_and_see_them_end(caller, others)


@contextlib.contextmanager
def _started(script, *args: str) -> Iterator[tuple[subprocess.Popen, list[psutil.Process]]]:
    """The caller script started, and the list of its descendants the test fills in: whatever
    is left of them is killed at the end."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    caller = subprocess.Popen(
        [sys.executable, str(script), *args], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    others: list[psutil.Process] = []
    try:
        yield caller, others
    finally:
        if caller.poll() is None:
            caller.kill()
        for proc in others:
            with contextlib.suppress(psutil.Error):
                proc.kill()


def _kill_and_see_them_end(caller: subprocess.Popen, others: list[psutil.Process]) -> None:
    """SIGKILL the caller, then every one of `others` ends within 15 s."""
    caller.send_signal(signal.SIGKILL)
    assert caller.wait(30) == -signal.SIGKILL
    deadline = time.monotonic() + 15
    while _running(others) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(others) == []


#: A caller that hands three school years of a large grid to the suppression's helpers and is
#: killed while they work (each year takes them seconds).
SUPPRESSING = """
import sys

from sped.privacy import by_year
from sped.privacy.placement_tables import LATENT, year_lines
from tests.test_privacy_by_year import random_years

if __name__ == "__main__":
    years = random_years(3, leas=1500)
    lines = {y: year_lines(b) for y, b in years.items()}
    print("suppressing", flush=True)
    by_year.protect_years(years, lines, 10, {y: {"latent": LATENT} for y in years})
    print("done", flush=True)
"""


def test_killing_the_suppressing_process_ends_its_helpers(tmp_path):
    script = tmp_path / "suppressing.py"
    script.write_text(SUPPRESSING)
    with _started(script) as (caller, others):
        assert caller.stdout.readline().strip() == "suppressing"
        deadline = time.monotonic() + 30
        while len(others) < 4 and time.monotonic() < deadline:  # tracker, server, two helpers
            time.sleep(0.1)
            others[:] = psutil.Process(caller.pid).children(recursive=True)
        assert len(others) >= 4, [" ".join(p.cmdline()) for p in others]
        time.sleep(1)  # the helpers are working
        _kill_and_see_them_end(caller, others)
