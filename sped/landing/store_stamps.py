"""Which stored files were found intact, and as what: size, modification and change times and
inode of each stored file whose bytes last hashed to its name.

Every run checks the stored file of every submission in force before it reads or reloads any
of them (sped/ingest/reconcile.py `check_stored`): hashing them all again costs a read of the
whole store, each run, for files that have not changed. A stored file whose stat is the one
recorded when it was written or last hashed is taken as intact without being read; anything
else (its bytes edited, the file replaced, moved back from a copy, restored: any write changes
the change time, which no user can set) sends it back to the hash. `sped audit verify` hashes
every stored file whatever the stamps say. The stamps live in their own table of the registry
database (`store_stamps`); losing them only costs hashing again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sped.landing.registry import Registry

SCHEMA = """
CREATE TABLE IF NOT EXISTS store_stamps (
  sha256 TEXT PRIMARY KEY,
  size_bytes INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL
)"""

Stamp = tuple[int, int, int, int]


def stamp_of(stat: os.stat_result) -> Stamp:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def load(registry: Registry) -> dict[str, Stamp]:
    """Every recorded stamp, by checksum."""
    with registry.transaction() as con:
        con.execute(SCHEMA)
        rows = con.execute(
            "SELECT sha256, size_bytes, mtime_ns, ctime_ns, inode FROM store_stamps"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def record(registry: Registry, paths: Iterable[Path]) -> None:
    """Record the stamps of stored files just written or hashed intact (named by checksum)."""
    rows = []
    for path in paths:
        try:
            rows.append((path.name, *stamp_of(path.stat())))
        except OSError:
            continue
    if not rows:
        return
    with registry.transaction() as con:
        con.execute(SCHEMA)
        con.executemany("INSERT OR REPLACE INTO store_stamps VALUES (?, ?, ?, ?, ?)", rows)
