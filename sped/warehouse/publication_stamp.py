"""The working warehouse as it was when it was last published, so that an untouched warehouse's
marts need not be read again to know they are the ones published.

Before every build the scope decision checks that the warehouse's marts are those the last
publication recorded (sped/warehouse/build_scope.py: marts changed outside sped are rebuilt,
never republished as they are), by digesting every mart: a second at the state scale, every
run, for a file nobody has written since it was published. Publishing copies the warehouse
whole, so right after the copy the working file holds exactly the published marts. Its stat
(size, modification and change times, inode) is recorded then, with a digest of the
publication's mart digests it goes with; while the file's stat is still that one, nothing has
written it (any write moves its change time, which no user can set back), and its marts are
the ones published. Anything else (a run's own steps, a hand edit, a restore, a rebuild's new
file, a later publication without a stamp, a write-ahead log beside the file) is digested as
before. `sped audit verify`
digests the published snapshot whatever this says. The stamp lives in its own table of the
registry database (`publication_stamp`); losing it only costs digesting again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sped.landing.registry import Registry
from sped.warehouse import publication_pending

SCHEMA = """
CREATE TABLE IF NOT EXISTS publication_stamp (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  warehouse TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  marts_sha256 TEXT NOT NULL
)"""


def stamp(path: Path) -> tuple[int, int, int, int] | None:
    """The file's (size, modification and change times, inode); None when it is missing or
    has a write-ahead log beside it (changes DuckDB has not yet written into the file itself,
    which opening it applies: a run stopped mid-build leaves one)."""
    if path.with_name(path.name + ".wal").exists():
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _digest(marts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(marts, sort_keys=True).encode()).hexdigest()


def record(registry: Registry, warehouse: Path, seen: tuple | None, marts: dict[str, str]) -> None:
    """After a publication of `marts` copied from `warehouse`: record the file's stamp, if it is
    still `seen` (its stamp before the copy); otherwise forget any stamp."""
    now = stamp(warehouse)
    with registry.transaction() as con:
        publication_pending.clear(con)  # the publication is recorded: nothing pending
        con.execute(SCHEMA)
        con.execute("DELETE FROM publication_stamp")
        if now is not None and now == seen:
            con.execute(
                "INSERT INTO publication_stamp VALUES (1, ?, ?, ?, ?, ?, ?)",
                (str(warehouse.resolve()), *now, _digest(marts)),
            )


def forget(registry: Registry) -> None:
    """No stamp: the next decision digests the marts (a publication not recorded, a restore);
    and no publication pending (a restored snapshot is the backup's, recorded by its trail)."""
    with registry.transaction() as con:
        publication_pending.clear(con)
        con.execute(SCHEMA)
        con.execute("DELETE FROM publication_stamp")


def untouched_since(registry: Registry, warehouse: Path, published: dict[str, str]) -> bool:
    """Whether `warehouse` is untouched since the publication of `published` (the mart digests
    the last publication recorded): its stamp is the one recorded with that publication."""
    with registry.transaction() as con:
        con.execute(SCHEMA)
        row = con.execute(
            "SELECT warehouse, size_bytes, mtime_ns, ctime_ns, inode, marts_sha256 "
            "FROM publication_stamp WHERE id = 1"
        ).fetchone()
    if row is None or row[0] != str(warehouse.resolve()):
        return False
    now = stamp(warehouse)
    return now is not None and tuple(row[1:5]) == now and row[5] == _digest(published)
