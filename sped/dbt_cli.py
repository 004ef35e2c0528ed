"""Running dbt in-process against one warehouse file, with its own target and log folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sped.settings import DBT_PROJECT_DIR


def invoke(
    command: list[str],
    *,
    warehouse: Path,
    target: Path,
    dbt_vars: dict | None = None,
    select: str | None = None,
) -> None:
    """`dbt <command>` on `warehouse`; raises naming the failing nodes if anything fails."""
    from dbt.cli.main import dbtRunner

    os.environ["SPED_WAREHOUSE"] = str(warehouse)
    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--quiet",
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    if select:
        args += ["--select", select]
    result = dbtRunner().invoke(args)
    if not result.success:
        failed = [
            (r.node.name, str(r.status), (r.message or "")[:300])
            for r in (getattr(result.result, "results", None) or result.result or [])
            if hasattr(r, "node") and str(r.status) not in ("success", "pass")
        ]
        raise RuntimeError(f"dbt {' '.join(command)} failed: {result.exception or failed}")
