"""Helper processes that end when the process they work for has ended.

A pool's helpers (sped/ingest/read_helpers.py, sped/privacy/by_year.py) come from a fork server
and wait on the pool's queue for work. A caller killed outright cannot shut its pool down, and a
helper would then wait forever, holding the fork server (which lives while any of its children
holds its pipe) and multiprocessing's resource tracker with it. So each helper starts a watch
on its caller as it starts (`watch_caller`, the pool's initializer or part of it) and ends
itself once the caller is gone (tests/test_trust_helpers.py kills a caller and looks).
"""

from __future__ import annotations

import os
import threading
import time

#: How often a helper looks whether the process it works for is still there (seconds).
WATCH_SECONDS = 0.25

Caller = tuple[int, float]


def cores_to_spare() -> int:
    """How many cores this process may use beside the one it runs on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, (cores or 1) - 1)


def identity(pid: int) -> Caller | None:
    """(pid, start time) of a live process (None: gone, or a zombie waiting to be reaped)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return pid, proc.create_time()
    except psutil.Error:
        return None


def this_process() -> Caller | None:
    """This process as its helpers watch it (the pool's initializer argument)."""
    return identity(os.getpid())


def watch_caller(caller: Caller | None) -> None:
    """In a helper: end this process once `caller` (pid and start time, so that a reused pid is
    not mistaken for it) has ended."""
    if caller is not None:
        threading.Thread(target=_end_with, args=caller, daemon=True, name="sped-watch").start()


def _end_with(pid: int, started: float) -> None:
    while identity(pid) == (pid, started):
        time.sleep(WATCH_SECONDS)
    os._exit(0)
