"""Each school year's suppression solved side by side, in helper processes.

No line of a suppression grid crosses school years (sped/privacy/suppression.py), so each year's
`protect` is independent of the others and gives the same outcome wherever it runs. A full
build suppresses every year of the shared tables, one after another in one Python thread: on
the state scale three years of about a second each, on the large scale two of two and a half,
at the end of the dbt build with little else left to run. `protect_years` hands the years to
helper processes instead (one per core, the largest year first) when there are at least two
years and enough LEAs to repay starting a helper (about 0.3 s: numpy, HiGHS and this package
imported); otherwise, and on a one-core machine, it solves them here. A helper's OpenBLAS runs
on one thread (threadpoolctl), since the helpers already use every core. Measured on the bench's
warehouses, the same figures hidden: the state scale's three years 3.1 s -> 1.9 s, the large
scale's two 5.2 s -> 3.0 s (tests/test_privacy_by_year.py compares the outcomes). Helpers come
from a fork server (a clean process, never a fork of this one with its threads, as in
sped/ingest/read_helpers.py) and end with the process they work for, should it be killed
(sped/process/helper_watch.py). A pool that breaks (a helper killed) is not an error of the
suppression: the years are then solved here, as if no helper had been asked.

The dbt step starts the helpers ahead, as dbt starts (`helpers_kept`, when its build rebuilds a
shared table), and then every year goes to them, a resubmission's single year too: their start
overlaps dbt's first nodes, and a year's solve does not share the run's interpreter with dbt's
other threads (state scale, alternated: the full refresh about 1 s shorter, the suppression
2.1-2.3 s -> 1.8-1.9 s and the SPP/APR table's 0.85 s -> 0.55 s; a resubmission about 0.25 s).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits

from sped.privacy.suppression import Protection, protect
from sped.process.helper_watch import this_process, watch_caller

#: Below this many units (LEA-years) over all the years, every year is solved here.
MIN_UNITS = 600


#: Helpers started ahead by `helpers_kept`, used by every `protect_years` in its block.
_kept: ProcessPoolExecutor | None = None


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_start_helper,
        initargs=(this_process(),),
    )


@contextlib.contextmanager
def helpers_kept() -> Iterator[None]:
    """Start the helpers now and keep them for every `protect_years` in the block, which then
    hands them every year, one year too (a resubmission changes one): their start (a fork
    server, then numpy, HiGHS and this package imported in each) runs beside whatever the
    block does first, instead of when the suppression needs them, and the year's solve does not
    share this process's interpreter with the threads of the block (dbt's other nodes). The
    helpers end with the block. On a one-core machine, nothing is started."""
    global _kept
    cores = os.cpu_count() or 1
    if cores < 2 or _kept is not None:
        yield
        return
    pool = _new_pool(cores)
    try:
        for _ in range(cores):  # each helper started and its imports made, in the background
            pool.submit(_ready)
    except (OSError, ValueError):
        pool.shutdown(wait=False, cancel_futures=True)
        yield
        return
    _kept = pool
    try:
        yield
    finally:
        _kept = None
        pool.shutdown(wait=True, cancel_futures=True)


def protect_years(
    years: Mapping[str, Mapping[Hashable, Mapping[Hashable, int]]],
    lines: Mapping[str, list],
    min_cell_size: int,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Protection]:
    """`protect(years[y], lines[y], min_cell_size, **options[y])` for every year y."""
    options = options or {}
    jobs = {
        y: ({u: dict(v) for u, v in years[y].items()}, lines[y], min_cell_size, options.get(y, {}))
        for y in years
    }
    order = sorted(jobs, key=lambda y: -len(jobs[y][0]))  # the largest year first
    if _kept is not None and jobs:
        try:
            futures = {y: _kept.submit(_protect, jobs[y]) for y in order}
            return {y: futures[y].result() for y in jobs}
        except (BrokenProcessPool, OSError, RuntimeError):  # broken or shut: solved here
            return {y: _protect(job) for y, job in jobs.items()}
    cores = os.cpu_count() or 1
    if len(jobs) < 2 or cores < 2 or sum(len(j[0]) for j in jobs.values()) < MIN_UNITS:
        return {y: _protect(job) for y, job in jobs.items()}
    try:
        with _new_pool(min(len(jobs), cores)) as pool:
            futures = {y: pool.submit(_protect, jobs[y]) for y in order}
            return {y: futures[y].result() for y in jobs}
    except (BrokenProcessPool, OSError, ValueError):  # no helpers here: solved in-process
        return {y: _protect(job) for y, job in jobs.items()}


def _ready() -> None:
    """Nothing: submitted to start a helper."""


def _protect(job: tuple) -> Protection:
    values, lines, min_cell_size, options = job
    return protect(values, lines, min_cell_size, **options)


def _start_helper(caller) -> None:
    """A helper's start: its linear algebra on one thread for its whole life (the helpers
    already use every core, and OpenBLAS's own threads on top of them made the state scale's
    three years take 3.6 s in helpers instead of 1.8 s; numpy is loaded by now, with this
    module), and it ends with its caller (helper_watch)."""
    threadpool_limits(limits=1, user_api="blas")
    watch_caller(caller)
