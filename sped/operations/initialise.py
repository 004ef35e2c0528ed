"""A new installation, created on purpose (`sped init`, or `sped pipeline --create`).

Every other command refuses an installation that does not exist (sped/cli/common.py
`require_installation`), so a mistyped `--warehouse` never leaves an empty installation behind
and a run that found nothing to do. Creating one makes its private folders, an empty registry
(the record of what was received: sped/landing/registry.py) and its Dagster instance.
"""

from __future__ import annotations

from sped.config.settings import Installation
from sped.frameworks.dagster_home import ensure_dagster_home
from sped.run.steps import open_registry


def exists(inst: Installation) -> bool:
    """Whether `inst` is an installation: its registry is the record of one."""
    return inst.registry.exists()


def initialise(inst: Installation) -> bool:
    """Create `inst` if it does not exist; True when it was created, False when it was there."""
    if exists(inst):
        return False
    open_registry(inst).close()  # the folders (0700) and an empty registry
    ensure_dagster_home(inst)
    return True
