"""The one DbtProject of the code location, and a manifest that exists before it is needed.

dagster-dbt reads the manifest when the dbt assets are defined, so `ensure_manifest` runs
`dbt parse` (which takes no database lock) when the manifest is missing or older than the
project's files. A file lock keeps parallel test workers from parsing at once. The manifest,
its logs and the lock live outside the code checkout (sped/config/settings.py `SPED_CODE_CACHE`): a
run writes nothing there, so the code may be read-only to the user who runs it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from dagster_dbt import DbtProject

from sped.config.settings import DBT_CODE_TARGET, DBT_PROJECT_DIR

sped_dbt = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DBT_CODE_TARGET
)


def _newest_source(project_dir: Path) -> float:
    # tests/ too: a data test is an asset check, and its config (severity, meta.dagster.ref)
    # shapes the assets definition
    dirs = ("models", "macros", "tests")
    files = [p for d in dirs for p in (project_dir / d).rglob("*") if p.is_file()]
    files += [project_dir / "dbt_project.yml"]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


def ensure_manifest(project: DbtProject = sped_dbt) -> Path:
    manifest = Path(project.manifest_path)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    lock_path = manifest.parent / ".parse.lock"
    with open(lock_path, "a") as lock:
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
                    "--log-path",
                    str(Path(project.project_dir) / project.target_path / "logs"),
                    "--quiet",
                    "--log-level-file",  # no dbt/logs/dbt.log of debug lines (as every run)
                    "none",
                ]
            )
            if not result.success:
                raise RuntimeError(f"dbt parse failed: {result.exception}")
    return manifest
