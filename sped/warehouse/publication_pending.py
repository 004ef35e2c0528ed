"""A publication whose snapshot is in place before its digests are in the trail.

Publishing puts the new snapshot in place first and then digests its tables for the trail
(`sped/run/steps.py` `publish`): readers see a district's new figures as soon as the copy is
made, not after the digest of every published table (about 0.6 s of a resubmission on the
state scale). Between the two, `sped audit verify` would find the snapshot's tables differing
from the last publication the trail records, as if they had been changed outside sped.

So, just before the snapshot is put in place, the registry notes which file it is: its size,
modification time and inode, which the rename that puts it in place keeps, and which any write
to it changes. When the published tables differ from their publication and the snapshot is
still that file, the difference is that publication's: while a run holds the installation's
run lock it is publishing (nothing to report), and once none does it was interrupted (a crash
between the two steps), which verify reports as such; the next run, which always publishes,
records it. A snapshot written to afterwards is no longer the noted file, and is reported as
changed outside sped, as before. The note lives in its own table of the registry database
(`publication_pending`) and is removed just after the publication is recorded, with the
working file's stamp (sped/warehouse/publication_stamp.py); a note left by a crash between those
two is never read, since the published tables then match the recorded publication.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sped.landing.registry import Registry

SCHEMA = """
CREATE TABLE IF NOT EXISTS publication_pending (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size_bytes INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL
)"""


def _identity(path: Path) -> tuple[int, int, int] | None:
    """(size, modification time, inode) of the file; None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def note(registry: Registry, snapshot: Path) -> None:
    """Before `snapshot` is put in place as the published warehouse: note which file it is."""
    identity = _identity(snapshot)
    if identity is None:
        raise FileNotFoundError(f"no snapshot to publish at {snapshot}")
    with registry.transaction() as con:
        con.execute(SCHEMA)
        con.execute("DELETE FROM publication_pending")
        con.execute("INSERT INTO publication_pending VALUES (1, ?, ?, ?)", identity)


def clear(con: sqlite3.Connection) -> None:
    """Within the transaction that records the publication's stamp (or forgets it): no note
    left."""
    con.execute(SCHEMA)
    con.execute("DELETE FROM publication_pending")


def is_noted(con: sqlite3.Connection, published: Path) -> bool:
    """Whether `published` is the snapshot a publication noted and has not yet recorded (`con`
    may be read-only; a registry older than this note has none)."""
    try:
        row = con.execute(
            "SELECT size_bytes, mtime_ns, inode FROM publication_pending WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError:  # no such table: nothing was ever noted
        return False
    return row is not None and tuple(row) == _identity(published)
