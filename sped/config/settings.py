"""Where an installation lives and how it is configured: the one place that reads the environment.

An installation is named by its warehouse file; the submission registry, the stored files, the
published snapshot and the reports live beside it unless an environment variable moves them.

Environment variables (all optional):
- `SPED_WAREHOUSE`  the warehouse file (default: the demo's, data/demo/warehouse/warehouse.duckdb)
- `SPED_PROFILE`    the state profile YAML (default config/state_profile.yaml)
- `SPED_AS_OF`      the date figures are judged as of (default: today)
- `SPED_LANDING`    an inbox directory the Dagster sensor registers new files from
- `SPED_CODE_CACHE` where what is derived from the code is kept: dbt's manifest, its stored
                    parses and the lock around parsing (default: the user's cache folder,
                    `$XDG_CACHE_HOME` or `~/.cache`, under sped-placements/<checkout>); a run
                    writes nothing into the code checkout, which may be read-only
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "demo" / "warehouse" / "warehouse.duckdb"
DBT_PROJECT_DIR = REPO_ROOT / "dbt"


def _code_cache() -> Path:
    """See `SPED_CODE_CACHE` above: one folder per checkout, so two checkouts never share
    a manifest."""
    import hashlib

    if os.environ.get("SPED_CODE_CACHE"):
        return Path(os.environ["SPED_CODE_CACHE"]).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    checkout = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:12]
    return Path(base) / "sped-placements" / checkout


CODE_CACHE = _code_cache()
#: dbt's target folder for the project itself (its manifest for Dagster, the stored parses).
DBT_CODE_TARGET = CODE_CACHE / "dbt_target"


@dataclass(frozen=True)
class Installation:
    """The files of one installation, all derived from the warehouse path."""

    warehouse: Path

    @property
    def root(self) -> Path:
        return self.warehouse.parent

    @property
    def registry(self) -> Path:
        return self.root / "registry.sqlite"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def published_dir(self) -> Path:
        return self.root / "published"

    @property
    def published_warehouse(self) -> Path:
        return self.published_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt_target"

    def create(self) -> Installation:
        """Make the installation's missing folders, readable by its owner only (they hold
        student records): 0700. The process umask is narrowed to 077 first, so every file
        written afterwards (registry, store, warehouse, snapshot, reports) is private (0600).
        A folder that already exists, and any file already in it, is left as it is: the
        warehouse may be named inside someone's own folder (`--warehouse ~/w.duckdb`), whose
        modes are theirs."""
        private_umask()
        for d in (self.root, self.store, self.published_dir, self.reports_dir):
            if not d.is_dir():
                d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self


def private_umask() -> None:
    """Files and folders this process creates from now on are its owner's only (077)."""
    old = os.umask(0o077)
    os.umask(old | 0o077)


def installation(warehouse: str | Path | None = None) -> Installation:
    path = warehouse or os.environ.get("SPED_WAREHOUSE") or DEFAULT_WAREHOUSE
    return Installation(Path(path).resolve())


def profile_path(path: str | Path | None = None) -> Path | None:
    value = path or os.environ.get("SPED_PROFILE")
    return Path(value) if value else None


def as_of_date(value: str | dt.date | None = None) -> dt.date:
    """The as-of date: the argument, else SPED_AS_OF, else today."""
    if isinstance(value, dt.date):
        return value
    value = value or os.environ.get("SPED_AS_OF")
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as-of date must be YYYY-MM-DD, got {value!r}") from None


def landing_inbox() -> Path | None:
    value = os.environ.get("SPED_LANDING")
    return Path(value) if value else None
