"""A batch's files read in helper processes while the calling process reads the others.

Reading is Python-bound (openpyxl's worksheet parser for a workbook, about 70 ms for a roster of
a thousand rows; the csv module or polars for a CSV), so on 2 cores one core idled while the
other read 2,000 rosters. `read_in_helpers` offers the helpers the files it is given, the
costliest first (every workbook, then the largest CSV files); the caller reads from the other
end. A batch gives them every file that is not plain CSV, before DuckDB reads the plain ones
(sped/ingest/batch.py `read_pending`), so that they start and read while it does. Each file is
claimed before it is read, in a flag shared by the caller and the helpers (under one lock), so
each is read once: the caller reads until it meets a file a helper has
claimed, and a helper skips a file the caller has. The work is shared by how fast each side
actually goes, not by an estimate (a fixed share left the helper idle for the last seconds of
a large batch). The caller never takes a file back by cancelling its future: a pool that breaks
with cancelled futures pending leaves the other futures unfinished in Python 3.11
(`terminate_broken` stops at the first cancelled one), and the caller would wait for them
forever; only the pool's shutdown, when no result is awaited any more, cancels what has not
started. The caller then takes each helper's result in the batch's order.

Helpers read each file from the store themselves (checked against its SHA-256, as always) and
run the very same `read_table` with the same limits (a file's time limit runs from when a
helper starts on it), so each file gets exactly the table and findings it would get
in-process; a helper that fails in any way (even one killed outright) only sends its files back
to the caller, which reads them in-process as before.

A helper ends as soon as the process it reads for has ended (sped/process/helper_watch.py):
killed outright, that process cannot shut its pool down, and a helper waiting for work would
wait forever, holding the fork server and multiprocessing's resource tracker with it.

Helpers come from a fork server (a clean process, never a fork of this one with its threads),
and only when the batch is worth at least MIN_HELPER_WORK of reading and the machine has a
core to spare: starting a helper costs about half a second, which a small batch never repays
(measured on the state scale: child_find's 15 small workbooks took 0.6 s longer in a helper).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sped.contracts import Collection
from sped.ingest.limits import Limits
from sped.ingest.parts import is_workbook
from sped.ingest.read import ReadResult, read_table
from sped.landing import store
from sped.landing.registry import Registry, Submission
from sped.process.helper_watch import cores_to_spare, this_process, watch_caller

#: What reading a byte of a workbook costs, in bytes of CSV (measured: the state scale's 1.2 MB
#: of workbooks took 1.4 s of CPU with the worksheet parser of sped/ingest/xlsx_rows.py, its
#: 64 MB of CSV files 2.6 s with the careful reader). Most CSV files no longer come here
#: (sped/ingest/csv_batch.py reads them): a state's workbooks alone are not worth a helper, a
#: large state's are.
WORKBOOK_COST = 30
#: Below this much work (in bytes of CSV: about a second of reading), no helper is started.
MIN_HELPER_WORK = 24 * 2**20
#: At most this many helpers (and never more than the cores beyond the caller's own).
MAX_HELPERS = 4


def helpers_available() -> int:
    """How many helper processes this machine can run beside the caller."""
    return min(MAX_HELPERS, cores_to_spare())


def _cost(sub: Submission) -> int:
    return sub.size_bytes * (WORKBOOK_COST if is_workbook(sub) else 1)


def helpers_share(pending: list[Submission], helpers: int) -> list[Submission]:
    """The files offered to the helpers, in the order they take them: every file, the costliest
    first (every workbook before any CSV); none for a small batch."""
    total = sum(_cost(s) for s in pending)
    if helpers < 1 or total < MIN_HELPER_WORK:
        return []
    return sorted(pending, key=_cost, reverse=True)


def read_stored(
    store_dir: Path, sha256: str, name: str, collection: Collection, sid: int, limits
) -> ReadResult:
    """In a helper: `read_table` on a stored file, read and checked here."""
    return read_table(store.get(store_dir, sha256), name, collection, sid, limits)


#: In a helper: the batch's claim flags and their lock (set when the helper starts).
_CLAIMS = None


def _share_claims(flags, lock, caller: tuple[int, float] | None = None) -> None:
    """A helper's start: the batch's claims, and a watch on the caller (pid, start time)."""
    global _CLAIMS
    _CLAIMS = (flags, lock)
    watch_caller(caller)


def _claim(flags, lock, index: int) -> bool:
    """Claim file `index` of the batch; False if the caller or a helper already has."""
    with lock:
        if flags[index]:
            return False
        flags[index] = 1
        return True


def _read_claimed(reader, index: int, *args) -> ReadResult | None:
    """In a helper: `reader(*args)` if this helper claims the file first, else None."""
    if not _claim(*_CLAIMS, index):
        return None
    return reader(*args)


class HelperReads:
    """The files offered to the helpers, costliest first, with their claims."""

    def __init__(self, futures: dict[int, Future] | None = None, flags=None, lock=None) -> None:
        self.futures = futures or {}  # submission id -> future, in the order helpers take them
        self._index = {sid: i for i, sid in enumerate(self.futures)}
        self._flags, self._lock = flags, lock

    def __contains__(self, sid: int) -> bool:
        return sid in self.futures

    def __len__(self) -> int:
        return len(self.futures)

    def order(self) -> list[int]:
        """The offered files, costliest first (the order helpers take them in)."""
        return list(self.futures)

    def take(self, sid: int) -> bool:
        """Claim an offered file for the caller; False if a helper has it."""
        if not _claim(self._flags, self._lock, self._index[sid]):
            return False
        del self.futures[sid]
        return True


@contextmanager
def read_in_helpers(
    registry: Registry,
    collection: Collection,
    pending: list[Submission],
    limits: Limits | None,
) -> Iterator[HelperReads]:
    """Offer the helpers `pending` (see helpers_share); yields the offer: by submission id, the
    future of each offered file's `read_table` result (empty when the batch is read in-process,
    also when helpers cannot be started here). The caller takes a file back with `take`, which
    succeeds until a helper has claimed it. Leaving the block cancels what has not started."""
    helpers = helpers_available()
    chosen = helpers_share(pending, helpers)
    if not chosen:
        yield HelperReads()
        return
    try:
        context = multiprocessing.get_context("forkserver")
        flags, lock = context.Array("b", len(chosen), lock=False), context.Lock()
        pool = ProcessPoolExecutor(
            max_workers=min(helpers, len(chosen)),
            mp_context=context,
            initializer=_share_claims,
            initargs=(flags, lock, this_process()),
        )
    except (OSError, ValueError, RuntimeError):  # no fork server here: read in-process
        yield HelperReads()
        return
    try:
        try:
            submit = pool.submit
            futures = {
                s.submission_id: submit(
                    _read_claimed,
                    read_stored,
                    i,
                    registry.store_dir,
                    s.sha256,
                    s.original_name,
                    collection,
                    s.submission_id,
                    limits,
                )
                for i, s in enumerate(chosen)
            }
        except (OSError, RuntimeError):  # helpers could not start: the caller reads them all
            futures = {}
        yield HelperReads(futures, flags, lock)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
