"""What registration already knows about a landing folder's files: path, size and modification
time of each file it hashed, with the checksum it found.

Re-scanning a landing folder of thousands of files otherwise reads and hashes every one of them
on every run. A file whose path, size and modification time (nanoseconds) are those recorded,
and whose (path, checksum) the registry has a receipt for, is skipped without being read; any
difference sends it back to the checksum, which decides as before. The stamps live in their
own table of the registry database (`landing_stamps`); losing them only costs re-hashing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sped.landing.registry import Registry

SCHEMA = """
CREATE TABLE IF NOT EXISTS landing_stamps (
  landing_path TEXT PRIMARY KEY,
  size_bytes INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  sha256 TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Stamp:
    """A file as registration last hashed it."""

    size_bytes: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, stat: os.stat_result, sha256: str) -> Stamp:
        return cls(stat.st_size, stat.st_mtime_ns, sha256)

    def matches(self, stat: os.stat_result) -> bool:
        return (self.size_bytes, self.mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def load(registry: Registry) -> dict[str, Stamp]:
    """Every recorded stamp by landing path."""
    with registry.transaction() as con:
        con.execute(SCHEMA)
        rows = con.execute(
            "SELECT landing_path, size_bytes, mtime_ns, sha256 FROM landing_stamps"
        ).fetchall()
    return {r[0]: Stamp(r[1], r[2], r[3]) for r in rows}


def record(registry: Registry, stamps: dict[str, Stamp]) -> None:
    """Record (or replace) the stamps of files just hashed, in one transaction."""
    if not stamps:
        return
    with registry.transaction() as con:
        con.execute(SCHEMA)
        con.executemany(
            "INSERT OR REPLACE INTO landing_stamps VALUES (?, ?, ?, ?)",
            [(p, s.size_bytes, s.mtime_ns, s.sha256) for p, s in stamps.items()],
        )


def unchanged(stamp: Stamp | None, path: Path, stat: os.stat_result, known: set) -> bool:
    """True when `path` (relative, as registered) is as registration hashed it and the registry
    holds a receipt for it: it need not be read again."""
    return stamp is not None and stamp.matches(stat) and (str(path), stamp.sha256) in known
