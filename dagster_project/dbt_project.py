"""The one DbtProject of the code location, and a manifest that exists before it is needed.

dagster-dbt reads the manifest when the dbt assets are defined, so `ensure_manifest` runs
`dbt parse` (which takes no database lock) when the manifest is missing or older than the
project's files. A file lock keeps parallel test workers from parsing at once.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from dagster_dbt import DbtProject

from sped.config.settings import DBT_PROJECT_DIR

sped_dbt = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source(project_dir: Path) -> float:
    files = [p for d in ("models", "macros") for p in (project_dir / d).rglob("*") if p.is_file()]
    files += [project_dir / "dbt_project.yml"]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


def ensure_manifest(project: DbtProject = sped_dbt) -> Path:
    manifest = Path(project.manifest_path)
    lock_path = Path(project.project_dir) / ".parse.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fresh = manifest.exists() and manifest.stat().st_mtime >= _newest_source(
            Path(project.project_dir)
        )
        if not fresh:
            from dbt.cli.main import dbtRunner

            os.environ.setdefault("DBT_PROFILES_DIR", str(project.profiles_dir))
            result = dbtRunner().invoke(
                [
                    "parse",
                    "--project-dir",
                    str(project.project_dir),
                    "--profiles-dir",
                    str(project.profiles_dir),
                    "--target-path",
                    str(Path(project.project_dir) / project.target_path),
                    "--quiet",
                    "--log-level-file",  # no dbt/logs/dbt.log of debug lines (as every run)
                    "none",
                ]
            )
            if not result.success:
                raise RuntimeError(f"dbt parse failed: {result.exception}")
    return manifest
