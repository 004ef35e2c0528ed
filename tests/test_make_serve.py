"""`make serve` (which `make demo` ends with) serves the portal and the Dagster UI, and Ctrl-C
ends all of it: the portal, its run worker, dagster dev and the processes dagster dev starts.
dagster dev once ignored the Ctrl-C (started in the background of the recipe's shell, it
ignored SIGINT, so Dagster ignored SIGTERM too) and `make serve` waited for it forever."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from sped.web.local_server import free_port
from tests.web_fixtures import shared_base, web_installation

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def _as_from_a_terminal() -> None:
    """What a terminal gives the foreground job: SIGINT and SIGTERM at their defaults, and a
    process group of its own (which Ctrl-C signals as a whole)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setpgrp()


def test_ctrl_c_ends_make_serve_and_everything_it_started(tmp_path_factory):
    web = web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("serve"))
    portal, dagster = free_port(), free_port()
    make = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"DEMO_DIR={web.inst.root}",
         f"DEMO_WAREHOUSE={web.inst.warehouse}", f"DEMO_DAGSTER_HOME={web.inst.root / 'dagster'}",
         f"SERVE_PORT={portal}", f"DAGSTER_PORT={dagster}"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_as_from_a_terminal,
    )  # fmt: skip
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 180
        while not (_answers(f"http://127.0.0.1:{portal}/signin")
                   and _answers(f"http://127.0.0.1:{dagster}/")):  # fmt: skip
            assert make.poll() is None, "make serve ended before serving"
            assert time.monotonic() < deadline, "make serve did not start serving"
            time.sleep(1)
        started = psutil.Process(make.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert "sped serve" in names and "dagster dev" in names
        assert "sped.launch.run_worker" in names
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=90)
        _gone, alive = psutil.wait_procs(started, timeout=30)
        assert not alive, [" ".join(p.cmdline())[:120] for p in alive]
    finally:
        for proc in [*started, psutil.Process(make.pid)] if make.poll() is None else started:
            with contextlib.suppress(psutil.Error):
                proc.kill()
