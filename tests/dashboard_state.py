"""The small synthetic state run through the whole pipeline, for the dashboard tests:
generated (20 LEAs, two school years), registered, validated, built by dbt (with the national
reference file) and published, exactly as `make demo` does at a smaller scale.

The build takes about half a minute, so it runs once per test session (under a file lock, so
pytest-xdist workers share it) and each module gets its own copy of the installation.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from sped.config.settings import Installation
from sped.generate import generate
from sped.launch.pipeline_run import run_pipeline
from tests.state_channel import OPERATOR

AS_OF = "2026-11-01"
SEED = 7


def build_small_state(root: Path) -> Installation:
    """Generate and run the small state under `root`; the installation (raises if it failed)."""
    landing = root / "landing"
    generate(landing, scale="small", years=2, seed=SEED)
    inst = Installation(root / "install" / "warehouse.duckdb")
    lines: list[str] = []
    code = run_pipeline(
        landing=landing,
        warehouse=str(inst.warehouse),
        profile=None,
        as_of=AS_OF,
        submitter=OPERATOR,
        out=lines.append,
    )
    if code != 0:
        raise RuntimeError("the pipeline failed:\n" + "\n".join(lines))
    return inst


def small_state(tmp_path_factory, name: str) -> Installation:
    """A copy of the session's small state (built by the first caller) for one module."""
    base_temp = tmp_path_factory.getbasetemp()
    shared = base_temp.parent if os.environ.get("PYTEST_XDIST_WORKER") else base_temp
    built = shared / "dashboard-small-state"
    with (shared / "dashboard-small-state.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / "built").exists():
            shutil.rmtree(built, ignore_errors=True)
            build_small_state(built)
            (built / "built").touch()
    copy = tmp_path_factory.mktemp(name)
    shutil.copytree(built / "install", copy / "install")
    return Installation(copy / "install" / "warehouse.duckdb")
