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
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Hashable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits

from sped.privacy.suppression import Protection, protect
from sped.process.helper_watch import this_process, watch_caller

#: Below this many units (LEA-years) over all the years, every year is solved here.
MIN_UNITS = 600


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
    cores = os.cpu_count() or 1
    if len(jobs) < 2 or cores < 2 or sum(len(j[0]) for j in jobs.values()) < MIN_UNITS:
        return {y: _protect(job) for y, job in jobs.items()}
    order = sorted(jobs, key=lambda y: -len(jobs[y][0]))  # the largest year first
    context = multiprocessing.get_context("forkserver")
    workers = min(len(jobs), cores)
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_helper,
            initargs=(this_process(),),
        ) as pool:
            futures = {y: pool.submit(_protect, jobs[y]) for y in order}
            return {y: futures[y].result() for y in jobs}
    except (BrokenProcessPool, OSError, ValueError):  # no helpers here: solved in-process
        return {y: _protect(job) for y, job in jobs.items()}


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
