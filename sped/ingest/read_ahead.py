"""Workbooks read ahead, by the helper that registered the run's landing folder, while the run
is still importing its libraries.

A `sped pipeline` command registers its landing folder in a helper process while it imports
Dagster, dbt and GX (sped/launch/registering.py). On the state scale the registration ends about
two seconds before the imports do, and the helper's core would then sit idle. Reading the
pending workbooks is the one costly part of a batch's reading that needs nothing from the job
(each is read on its own by `read_table`, about 1.4 s of CPU for the state scale's 109), so the
helper reads them next (`read_workbooks`), and the batches take what it has read (`ready`)
instead of reading those files again.

The helper runs the very same `read_table` on the stored bytes (checked against their SHA-256,
as always) with the same limits, so a file gets exactly the table and findings it would get in
the batch (as a read helper's file does: sped/ingest/read_helpers.py). A result is used only for
the submission and the bytes it was read from. The batches never wait for the helper: until it
has read every workbook, they read their files themselves, as before, and a helper that failed
in any way only means they do. What it reads ahead is bounded (`READ_AHEAD_BYTES`): its tables
wait in the run's memory until their batch's turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Future

from sped.contracts import COLLECTIONS
from sped.ingest.limits import Limits
from sped.ingest.parts import is_workbook, read_cost
from sped.ingest.read import ReadResult
from sped.ingest.read_helpers import read_stored
from sped.landing.registry import Registry, Submission

#: The workbooks read ahead come to at most this many bytes, counted as a batch's part counts
#: them (sped/ingest/parts.py): their tables wait in the run's memory until their batch takes
#: them. The state scale's workbooks count 12 MB and the large scale's 24 MB, all read ahead;
#: of the large scale's 60 MB over five years about half are, and a landing folder of
#: thousands of workbooks never has all their tables held at once.
READ_AHEAD_BYTES = 32 * 2**20

#: Submission id -> (the SHA-256 of the bytes read, what reading them gave).
Read = dict[int, tuple[str, ReadResult]]

#: The helper's reading, offered to the batches of the run under way (`offered`).
_offered: Future | None = None


def read_workbooks(
    registry: Registry, limits: Limits | None, budget: int = READ_AHEAD_BYTES
) -> Read:
    """In the helper: the pending workbooks of every collection, read, until they come to
    `budget` bytes (each counted as its batch part counts it). A file whose reading raises is
    left out (its batch reads it and decides what it is told)."""
    read: Read = {}
    for collection in COLLECTIONS.values():
        for sub in registry.pending(collection.name):
            if not is_workbook(sub):
                continue
            budget -= read_cost(sub)
            if budget < 0:
                return read
            try:
                result = read_stored(
                    registry.store_dir, sub.sha256, sub.original_name, collection,
                    sub.submission_id, limits,
                )  # fmt: skip
            except Exception:
                continue
            read[sub.submission_id] = (sub.sha256, result)
    return read


@contextlib.contextmanager
def offered(reading: Future | None) -> Iterator[None]:
    """Offer the helper's reading (a future of `read_workbooks`) to every batch in the block."""
    global _offered
    _offered = reading
    try:
        yield
    finally:
        _offered = None


def ready(pending: list[Submission]) -> dict[int, ReadResult]:
    """Those of `pending` the helper has read (their own bytes), each handed out once; none
    while it is still reading, or if it failed."""
    if _offered is None or not _offered.done():
        return {}
    try:
        read: Read = _offered.result()
    except Exception:  # a helper that failed in any way: the batch reads its files itself
        return {}
    taken = {}
    for sub in pending:
        sha256, result = read.get(sub.submission_id, (None, None))
        if sha256 == sub.sha256:
            taken[sub.submission_id] = result
            del read[sub.submission_id]
    return taken
