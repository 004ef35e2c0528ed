"""A restore killed part-way leaves an installation every run refuses (it is marked as being
restored), never one taken for an intact, empty installation; the same restore run again
starts over and gives the whole installation, its stored files read-only and private (0400)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.landing import store

AS_OF = "2026-11-01"
SPED = str(Path(sys.executable).parent / "sped")
pytestmark = pytest.mark.slow


def _landing(root: Path) -> Path:
    files = {
        "reference/leas.csv": "lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n",
        "allocations/2026/alloc.csv": "lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\n"
        "2500001,2026,100.00,10.00\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_restore_killed_part_way_is_refused_then_restored_again(tmp_path, capsys):
    source = Installation(tmp_path / "source" / "warehouse.duckdb")
    w = ["--warehouse", str(source.warehouse)]
    landing = _landing(tmp_path / "landing")
    assert main(["pipeline", "--create", *w, "--as-of", AS_OF, "--landing", str(landing)]) == 0
    assert main(["backup", *w, "--to", str(tmp_path / "backup")]) == 0

    target = Installation(tmp_path / "target" / "warehouse.duckdb")
    restore = [SPED, "restore", "--from", str(tmp_path / "backup"), "--warehouse",
               str(target.warehouse)]  # fmt: skip
    paused = tmp_path / "paused"
    env = {**os.environ, "SPED_PAUSE_AT": "restore:copying", "SPED_PAUSE_FILE": str(paused)}
    killed = subprocess.Popen(restore, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not paused.exists():
            assert killed.poll() is None, killed.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)  # one stored file copied, nothing else
        assert killed.wait(60) == -signal.SIGKILL
    finally:
        if killed.poll() is None:
            killed.kill()
    assert any(store.stored_files(target.store)) and not target.registry.exists()

    tw = ["--warehouse", str(target.warehouse)]
    for argv in (["pipeline", "--as-of", AS_OF, *tw], ["audit", "verify", *tw], ["serve", *tw]):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "a restore into" in err and "did not finish" in err, err
    assert not target.registry.exists()  # never taken for a new, empty installation

    done = subprocess.run(restore, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unfinished restore" in done.stdout
    assert main(["audit", "verify", *tw]) == 0
    stored = list(store.stored_files(target.store))
    assert sorted(p.name for p in stored) == sorted(
        p.name for p in store.stored_files(source.store)
    )
    assert {stat.S_IMODE(p.stat().st_mode) for p in stored} == {0o400}
    assert main(["pipeline", "--as-of", AS_OF, *tw]) == 0
