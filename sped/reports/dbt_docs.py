"""The dbt documentation site (every model and column with the rule it implements), exported as
one self-contained HTML file into the installation's reports folder.

Built against the published snapshot, so it never takes the warehouse's write lock.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sped.config.settings import Installation
from sped.frameworks.dbt_cli import invoke


def export_docs(inst: Installation, dbt_vars: dict | None = None) -> Path:
    if not inst.published_warehouse.exists():
        raise ValueError(
            f"no published warehouse at {inst.published_warehouse}: run the pipeline first"
        )
    target = inst.dbt_target / "docs"
    invoke(
        ["docs", "generate", "--static"],
        warehouse=inst.published_warehouse,
        target=target,
        dbt_vars=dbt_vars,
    )
    out = inst.reports_dir / "dbt_docs"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "static_index.html", out / "index.html")
    return out / "index.html"
