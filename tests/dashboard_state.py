"""The small synthetic state run through the whole pipeline once, for the dashboard tests:
generated (20 LEAs, two school years), registered, validated, built by dbt (with the national
reference file) and published, exactly as `make demo` does at a smaller scale."""

from __future__ import annotations

from pathlib import Path

from sped.generate import generate
from sped.pipeline_run import run_pipeline
from sped.settings import Installation
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
