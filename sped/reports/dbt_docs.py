"""The dbt documentation site (every model and column with the rule it implements), exported as
one self-contained HTML file into the installation's reports folder.

Built against the published snapshot, so it never takes the warehouse's write lock.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sped.settings import DBT_PROJECT_DIR, Installation


def export_docs(inst: Installation, dbt_vars: dict | None = None) -> Path:
    import json

    from dbt.cli.main import dbtRunner

    if not inst.published_warehouse.exists():
        raise ValueError(
            f"no published warehouse at {inst.published_warehouse}: run the pipeline first"
        )
    target = inst.dbt_target / "docs"
    os.environ["SPED_WAREHOUSE"] = str(inst.published_warehouse)
    args = [
        "docs",
        "generate",
        "--static",
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
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception}")
    out = inst.reports_dir / "dbt_docs"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "static_index.html", out / "index.html")
    return out / "index.html"
