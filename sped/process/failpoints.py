"""Named points in a run where a test may stop it, to prove a crash there loses nothing.

Inert unless the environment asks: with `SPED_PAUSE_AT=<name>` and `SPED_PAUSE_FILE=<path>`,
the first time the run reaches the point named it writes its pid to `<path>` and waits until
`<path>.go` exists (or it is killed). A test then kills the process with SIGKILL at exactly that
point, or lets it go on. Nothing else reads these variables.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_reached: set[str] = set()


def reached(name: str) -> None:
    """Pause here if the environment names this point (tests only)."""
    if os.environ.get("SPED_PAUSE_AT") != name or name in _reached:
        return
    signal_file = os.environ.get("SPED_PAUSE_FILE")
    if not signal_file:
        return
    _reached.add(name)
    path = Path(signal_file)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(str(os.getpid()), encoding="utf-8")
    os.replace(tmp, path)
    go = path.with_name(path.name + ".go")
    deadline = time.monotonic() + 600
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
