"""A batch's workbooks read in helper processes while the calling process reads its CSV files.

Reading an XLSX file is pure Python (openpyxl's worksheet parser, about 70 ms for a roster of a
thousand rows), so on the large scale the 51 roster workbooks cost 4-5 s of one core while the
other core idles. `read_workbooks` hands them to a small process pool first; the caller then
reads the CSV files itself and takes each workbook's result when it reaches it. The helpers run
the very same `read_table`, with the same limits (each file's time limit runs from when a helper
starts on it), so each file gets exactly the table and findings it would get in-process; a
helper that fails in any way (even one killed outright) only sends its files back to the
caller, which reads them in-process as before.

Helpers come from a fork server (a clean process, never a fork of this one with its threads),
and only when a batch's workbooks hold at least MIN_WORKBOOK_BYTES and the machine has a core to
spare: starting a helper costs about half a second, which a few small workbooks never repay
(measured on the state scale: child_find's 15 small workbooks took 0.6 s longer in a helper).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from sped.contracts import Collection
from sped.ingest.limits import Limits
from sped.ingest.read import XLSX_MAGIC, ReadResult, read_table
from sped.landing.registry import Registry, Submission

#: Below this many bytes of workbooks in a batch, starting a helper costs more than it saves.
MIN_WORKBOOK_BYTES = 256 * 1024
#: At most this many helpers (and never more than the cores beyond the caller's own).
MAX_HELPERS = 4


def helpers_available() -> int:
    """How many helper processes this machine can run beside the caller."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(MAX_HELPERS, (cores or 1) - 1))


@contextmanager
def read_workbooks(
    registry: Registry,
    collection: Collection,
    pending: list[Submission],
    limits: Limits | None,
) -> Iterator[dict[int, tuple[bytes, Future[ReadResult]]]]:
    """Start reading the workbooks among `pending` in helper processes; yields, by submission
    id, each dispatched file's bytes and the future of its `read_table` result (empty when the
    batch is read in-process). Leaving the block cancels what has not started."""
    workbooks = [s for s in pending if s.original_name.lower().endswith(".xlsx")]
    helpers = helpers_available()
    if sum(s.size_bytes for s in workbooks) < MIN_WORKBOOK_BYTES or helpers < 1:
        yield {}
        return
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=min(helpers, len(workbooks)), mp_context=context)
    try:
        dispatched = {}
        for sub in workbooks:
            data = registry.read_bytes(sub)  # checked against its SHA-256 here, as always
            if data.startswith(XLSX_MAGIC):
                future = pool.submit(
                    read_table, data, sub.original_name, collection, sub.submission_id, limits
                )
                dispatched[sub.submission_id] = (data, future)
        yield dispatched
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
