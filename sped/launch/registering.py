"""A run's landing folder registered in a helper process while the run imports its libraries.

`sped pipeline` starts by importing Dagster, dbt, Great Expectations and the rest of what its job
runs (sped/launch/run_imports.py): about 5 s of one core. Registering the landing folder (reading,
hashing and storing every file, then recording its receipt: sped/run/steps.py
`register_landing`) needs none of them, and took another 2.6-3 s on the state scale after the
imports, the second core idle throughout. Threads cannot share that time (the imports hold the
interpreter: registration in a thread beside them finished no sooner), a second process can. So
`registered_beside` hands the registration to one helper process while the caller imports, and
hands back the same summary the caller would have got; the helper's progress lines reach the
caller's output as they come. Once it has registered the folder, the helper reads its pending
workbooks for the run's batches while the imports go on (sped/ingest/read_ahead.py).

Measured on the bench's landing folders (fresh installations): the job starts 5.8-6.2 s into a
state-scale run instead of 8.1 s, and the full refresh took 23.0-23.6 s instead of 25.4 s; at
the large scale the job starts at 6.4-7.1 s instead of 9. Reading the workbooks ahead,
alternated with not: state 22.7 / 23.6 s against 23.7 / 25.7 s, large 36.1 / 35.6 s against
36.8 s.

The helper is used only when it pays: when the run still has its libraries to import (a
long-lived process that already holds them, such as the test suite, registers in-process) and
the machine has a core to spare. It comes from a fork server (a clean process, never a fork of
this one with its threads) and ends as soon as its caller has ended
(sped/process/helper_watch.py). A helper killed outright may be in the middle of a batch of
receipts while its caller's rerun starts: the rerun waits for it on the registration lock
(sped/run/steps.py `registering`), so what it recorded is seen as recorded. A registration error
(a registry lost, a landing folder unreadable) reaches the caller as it would in-process; a
helper that breaks (killed) only means the caller registers the folder itself, which is safe
to repeat (a file already received is recognised). Its work done, the helper ends, rather than
holding its memory idle through the rest of the run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sped.config.settings import Installation
from sped.ingest import read_ahead
from sped.ingest.limits import Limits
from sped.launch.run_imports import RUN_MODULES
from sped.process.helper_watch import cores_to_spare, this_process, watch_caller
from sped.run.steps import RegistrationSummary, open_registry, register_landing

Out = Callable[[str], None]


def register(
    inst: Installation,
    landing: Path,
    submitter: str,
    limits: Limits | None,
    out: Out,
) -> tuple[RegistrationSummary, float]:
    """Register `landing` in this process, its progress lines to `out`; what it did, and how
    long it took (seconds)."""
    clock = time.perf_counter()
    registry = open_registry(inst)
    try:
        summary = register_landing(
            landing,
            registry,
            submitter=submitter,
            progress=lambda m: out(f"  {m}"),
            limits=limits,
        )
    finally:
        registry.close()
    return summary, time.perf_counter() - clock


def imports_pending() -> bool:
    """Whether this process has yet to import what a run imports."""
    return any(name not in sys.modules for name in RUN_MODULES)


class Registration:
    """A landing folder's registration under way; `summary()` waits for it."""

    def __init__(
        self,
        wait: Callable[[], tuple[RegistrationSummary, float]],
        where: str = "here",
        reading: Future | None = None,
    ) -> None:
        self._wait = wait
        self.where = where  # "helper" or "here" (this process)
        self.helper_pid: int | None = None  # the helper's process, once it has registered
        self.seconds = 0.0
        #: The helper's reading of the pending workbooks once it has registered them
        #: (sped/ingest/read_ahead.py), or None.
        self.reading = reading

    def summary(self) -> RegistrationSummary:
        """What the registration did (raises what it raised); then `seconds` says how long it
        took where it ran."""
        summary, self.seconds = self._wait()
        return summary


@contextlib.contextmanager
def registered_beside(
    inst: Installation, landing: Path, *, submitter: str, limits: Limits | None, out: Out
) -> Iterator[Registration]:
    """Start registering `landing` (in a helper when it pays, see the module's docstring); the
    block does other work (imports) and then calls `summary()`. Leaving the block waits for the
    helper to end."""
    if not imports_pending() or cores_to_spare() < 1:
        yield Registration(lambda: register(inst, landing, submitter, limits, out))
        return
    try:
        context = multiprocessing.get_context("forkserver")
        lines = context.SimpleQueue()
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_start_helper,
            initargs=(this_process(), lines),  # a queue is handed over as the helper starts
        )
        future = pool.submit(_register_in_helper, inst, landing, submitter, limits)
        reading = pool.submit(_read_ahead, inst, limits)  # once registered: the workbooks
    except (OSError, ValueError, RuntimeError):  # no fork server here: register in-process
        yield Registration(lambda: register(inst, landing, submitter, limits, out))
        return
    relay = threading.Thread(target=_relay, args=(lines, out), daemon=True, name="sped-relay")
    relay.start()

    def end_once_read() -> None:
        """Its work done, the helper ends (its memory is the run's no longer)."""
        futures_wait([reading])
        pool.shutdown(wait=False)

    threading.Thread(target=end_once_read, daemon=True, name="sped-helper-end").start()

    def end_relay() -> None:
        """Once the helper has ended its task (its last line, then the end of them, are in the
        queue) or never will: the relay ends after the lines sent."""
        if relay.is_alive():
            lines.put(None)  # after the helper's own end mark, if it sent one: harmless
            relay.join()

    def wait() -> tuple[RegistrationSummary, float]:
        try:
            summary, seconds, registration.helper_pid = future.result()
        except BrokenProcessPool:  # the helper was killed: register here (safe to repeat)
            end_relay()
            registration.where = "here"
            return register(inst, landing, submitter, limits, out)
        finally:
            end_relay()
        return summary, seconds

    registration = Registration(wait, "helper", reading)
    try:
        yield registration
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        end_relay()


def _relay(lines, out: Out) -> None:
    """In the caller: the helper's progress lines to `out`, until the helper says it is done."""
    while (line := lines.get()) is not None:
        out(line)


def _read_ahead(inst: Installation, limits: Limits | None) -> read_ahead.Read:
    """In the helper, after registering: the pending workbooks read for the run's batches."""
    registry = open_registry(inst)
    try:
        return read_ahead.read_workbooks(registry, limits)
    finally:
        registry.close()


#: In the helper: the queue its progress lines go to (set as it starts).
_LINES = None


def _start_helper(caller, lines) -> None:
    """The helper's start: a watch on its caller, and the queue for its lines."""
    global _LINES
    _LINES = lines
    watch_caller(caller)


def _register_in_helper(
    inst: Installation, landing: Path, submitter: str, limits: Limits | None
) -> tuple[RegistrationSummary, float, int]:
    """In the helper: `register` (and this process's id), its lines sent to the caller, then
    the end of them."""
    try:
        return *register(inst, landing, submitter, limits, _LINES.put), os.getpid()
    finally:
        _LINES.put(None)
