"""Scratch folders for work that holds a district's rows outside the warehouse (a single-file
check's DuckDB file and its WAL, the copy an annotated download is rebuilt from).

They live inside the installation, in `<installation>/tmp` (mode 0700), never in the system's
shared temporary folder; each is removed on every way out of the `with` block, and a SIGTERM
during the work (when nothing else handles SIGTERM) ends the work through that same path.
Folders left by a process that was killed outright (SIGKILL, a power cut) carry its process id
in their name and are removed by the next one that starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from sped.config.settings import Installation

FOLDER = "tmp"


def scratch_root(inst: Installation) -> Path:
    """`<installation>/tmp`, created 0700 (only the installation's owner may look inside)."""
    root = inst.root / FOLDER
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    root.chmod(0o700)
    return root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_pid(folder: Path) -> int | None:
    """The process id in a scratch folder's name (`<kind>-<pid>-<random>`), if any."""
    parts = folder.name.split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


def clean_stale(root: Path) -> list[Path]:
    """Remove the scratch folders of processes that no longer run; the ones removed."""
    removed = []
    for folder in root.iterdir() if root.is_dir() else ():
        pid = owner_pid(folder)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class Terminated(SystemExit):
    """SIGTERM arrived during scratch work: leave through the cleanup, exit 143."""


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(128 + signum)


@contextlib.contextmanager
def _sigterm_leaves_through_finally() -> Iterator[None]:
    """While in the block, SIGTERM raises `Terminated` instead of killing the process outright
    (so `finally` blocks run); only in the main thread and only when nobody else (Dagster,
    a web server) handles SIGTERM already."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def scratch_dir(inst: Installation, kind: str) -> Iterator[Path]:
    """A fresh 0700 folder under `<installation>/tmp`, removed when the block ends however it
    ends; stale folders of dead processes are removed first."""
    root = scratch_root(inst)
    clean_stale(root)
    folder = Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=root))
    try:
        with _sigterm_leaves_through_finally():
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
