"""`make clean` removes this checkout's cache of what is derived from the code (dbt's manifest
and stored parses), in the place sped/config/settings.py keeps it: the Makefile names the same
folder as the code does, so no cache of a removed checkout is left behind in the user's cache
folder."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from sped.config import settings

REPO = Path(__file__).resolve().parents[1]


def test_make_clean_removes_the_cache_the_code_uses(tmp_path, monkeypatch):
    monkeypatch.delenv("SPED_CODE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = settings._code_cache()
    assert expected.parent == tmp_path / "sped-placements"
    dry = subprocess.run(
        ["make", "-n", "clean"], cwd=REPO, env=os.environ.copy(), capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    removed = [Path(p) for p in shlex.split(dry.stdout.strip())[2:]]
    assert expected in removed
