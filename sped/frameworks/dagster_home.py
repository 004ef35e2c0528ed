"""The installation's own Dagster instance: one home, shared by every way a run starts.

`sped pipeline`, the nightly schedule, the inbox sensor and `dagster dev` all record runs,
asset materializations and check results in `<installation>/dagster/` (SQLite storage that
survives restarts), so the Dagster UI shows the history of every run, whoever started it.
Telemetry is off unless `SPED_DAGSTER_TELEMETRY=1` was set when the home was (re)written.

To open the UI on an installation:

    DAGSTER_HOME=<installation>/dagster SPED_WAREHOUSE=<installation>/warehouse.duckdb \\
        dagster dev -m dagster_project.definitions
"""

from __future__ import annotations

import os
from pathlib import Path

from sped.config.settings import Installation


def dagster_home(inst: Installation) -> Path:
    """Where the installation's Dagster instance lives."""
    return inst.root / "dagster"


def instance_yaml(home: Path, *, telemetry: bool = False) -> str:
    """The instance's dagster.yaml: SQLite run, event and schedule storage under `home`, in the
    folders Dagster's own `storage: sqlite:` uses, with the event log kept by
    sped/frameworks/dagster_storage.py (Dagster's SQLite event log, one engine per database
    file)."""
    storage = home / "storage"
    return (
        "# Written by sped (sped/frameworks/dagster_home.py): this installation's Dagster "
        "instance.\n"
        "run_storage:\n"
        "  module: dagster._core.storage.runs\n"
        "  class: SqliteRunStorage\n"
        "  config:\n"
        f"    base_dir: {(storage / 'history').as_posix()}\n"
        "event_log_storage:\n"
        "  module: sped.frameworks.dagster_storage\n"
        "  class: SpedEventLogStorage\n"
        "  config:\n"
        f"    base_dir: {(storage / 'history' / 'runs').as_posix()}\n"
        "schedule_storage:\n"
        "  module: dagster._core.storage.schedules\n"
        "  class: SqliteScheduleStorage\n"
        "  config:\n"
        f"    base_dir: {(storage / 'schedules').as_posix()}\n"
        "local_artifact_storage:\n"
        "  module: dagster._core.storage.root\n"
        "  class: LocalArtifactStorage\n"
        "  config:\n"
        f"    base_dir: {home.as_posix()}\n"
        "telemetry:\n"
        f"  enabled: {'true' if telemetry else 'false'}\n"
    )


def ensure_dagster_home(inst: Installation) -> Path:
    """Create (or bring up to date) the installation's Dagster home and return it."""
    home = dagster_home(inst)
    home.mkdir(parents=True, exist_ok=True)
    telemetry = os.environ.get("SPED_DAGSTER_TELEMETRY", "") == "1"
    text = instance_yaml(home, telemetry=telemetry)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return home


def open_instance(inst: Installation):
    """The installation's persistent DagsterInstance (a context manager)."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(ensure_dagster_home(inst)))
