"""One writer per installation: an operating-system lock file held for a whole pipeline run.

`run.lock` inside the installation is locked with `fcntl.flock` for as long as a run (or a
backup or a rebuild) writes the warehouse; the kernel releases it when the holder exits, even
on SIGKILL, so a crashed run never leaves a stale lock. The file also says who holds it (pid,
operating-system user, start time, what runs), so a second run can say so and stop, or wait.

The lock is re-entrant within one process: the CLI takes it, and the Dagster job it runs
in-process takes it again without blocking itself (flock locks belong to an open file, so a
second open in the same process would otherwise conflict with the first).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "run.lock"

_held: dict[Path, tuple[int, int]] = {}  # lock path -> (file descriptor, depth), this process
_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """Who holds an installation's run lock, as the lock file says."""

    pid: int | None
    user: str
    since: str
    what: str

    def describe(self) -> str:
        pid = self.pid if self.pid is not None else "unknown"
        return f"by {self.user or 'an unknown user'}, pid {pid}, since {self.since or '?'}"


class RunInProgress(RuntimeError):
    """Another process holds the installation's run lock."""

    def __init__(self, path: Path, holder: Holder):
        self.path = path
        self.holder = holder
        super().__init__(
            f"a run is in progress ({holder.describe()}: {holder.what}) on the installation "
            f"{path.parent}; wait for it to finish or pass --wait"
        )


def lock_path(root: Path) -> Path:
    return root / LOCK_NAME


def read_holder(path: Path) -> Holder:
    """What the lock file says about its holder (fields empty if it says nothing)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    pid = info.get("pid")
    return Holder(
        pid if isinstance(pid, int) else None,
        str(info.get("user", "")),
        str(info.get("since", "")),
        str(info.get("what", "")),
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


@contextmanager
def run_lock(
    root: Path,
    what: str,
    *,
    wait: bool = False,
    on_wait: Callable[[Holder], None] | None = None,
    poll_seconds: float = 0.5,
) -> Iterator[Path]:
    """Hold the installation's run lock for the block. Raises RunInProgress if another process
    holds it, unless `wait` (then blocks until it is free, calling `on_wait` once)."""
    root.mkdir(parents=True, exist_ok=True)
    path = lock_path(root).resolve()
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _guard:
                fd, depth = _held[path]
                _held[path] = (fd, depth - 1)
        return

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = read_holder(path)
                if not wait:
                    raise RunInProgress(path, holder) from None
                if not told and on_wait is not None:
                    on_wait(holder)
                told = True
                time.sleep(poll_seconds)
        info = {
            "pid": os.getpid(),
            "user": _user(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "what": what,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        with _guard:
            _held[path] = (fd, 1)
        try:
            yield path
        finally:
            with _guard:
                del _held[path]
            os.ftruncate(fd, 0)  # say nothing about a holder that is gone
    finally:
        os.close(fd)  # closing the file releases the flock


def holds(root: Path) -> bool:
    """Whether this process holds the installation's run lock."""
    return lock_path(root).resolve() in _held


def current_holder(root: Path) -> Holder | None:
    """Who holds the run lock now (None if nobody), without taking it."""
    path = lock_path(root)
    if not path.exists():
        return None
    if holds(root):
        return read_holder(path)
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_holder(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
