"""A collection's files cut into parts of a bounded size, read one part at a time.

Reading holds a file's bytes, its text rows and its typed rows at once, about twelve times the
files' size: the large scale's 476 MB of rosters over five years, read in one part, took a run
to a peak of 6.1 GB. The batch of pending files (sped/ingest/batch.py) and the reload of files
in force (sped/ingest/reconcile.py, also `sped rebuild`) read, type and stage one part and put
its rows in the warehouse before reading the next; what they then decide and load is decided
over the whole, as before. A file reads the same in any part (tests/test_batch_parts.py).
"""

from __future__ import annotations

from sped.landing.registry import Submission

#: At most about this many bytes of stored files are read at once (a workbook counted at
#: WORKBOOK_EXPANSION times its size: its XML is compressed).
PART_BYTES = 160 * 2**20
WORKBOOK_EXPANSION = 10


def is_workbook(sub: Submission) -> bool:
    """Whether a submission is a workbook, by its name."""
    return sub.original_name.lower().endswith(".xlsx")


def read_cost(sub: Submission) -> int:
    """The bytes reading a submission holds at once, as a part counts them."""
    return sub.size_bytes * (WORKBOOK_EXPANSION if is_workbook(sub) else 1)


def batch_parts(pending: list[Submission], limit: int | None = None) -> list[list[Submission]]:
    """`pending` cut, in its order, into parts of at most about `limit` bytes to read (default
    PART_BYTES; a file larger than that is a part of its own)."""
    limit = PART_BYTES if limit is None else limit
    parts: list[list[Submission]] = []
    part: list[Submission] = []
    size = 0
    for sub in pending:
        cost = read_cost(sub)
        if part and size + cost > limit:
            parts.append(part)
            part, size = [], 0
        part.append(sub)
        size += cost
    return [*parts, part] if part else parts
