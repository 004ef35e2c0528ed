"""The warehouse database a pipeline run keeps open between its steps.

Every step opens the warehouse for itself (`sped.run.steps.connect`) and closes it when done.
Opening a DuckDB file costs about 9 ms, closing it (the last connection checkpoints) about 1 ms
more, and making sure the raw schemas exist another 3.5 ms: some 13 ms, six times before a run's dbt
build. While a run keeps one connection open (`between_steps`), DuckDB hands the others the database
it already has open (its instance cache, which the same path and configuration reach: 0.1 ms), and
the schemas, once made sure of, are not looked up again.

What must have the file to itself lets it go first (`release`): dbt, which opens it with its own
configuration, and publishing, which checkpoints and copies it. The next `connect` opens it again.
Nothing changes for durability: each step commits as before, and what a committed transaction
wrote is in the write-ahead log until the checkpoint, which DuckDB replays after a crash.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb


class _Kept:
    """What this process keeps open: the warehouse's path while a run keeps it, and the open
    connection (None once let go, until the next `connect`)."""

    path: str | None = None
    con: duckdb.DuckDBPyConnection | None = None


_kept = _Kept()


@contextlib.contextmanager
def between_steps(warehouse: Path) -> Iterator[None]:
    """Keep the warehouse open between the steps run inside this block (closed at its end)."""
    _kept.path = str(warehouse)
    try:
        yield
    finally:
        release()
        _kept.path = None


def hold(warehouse: Path, config: dict) -> bool:
    """Before a step connects: open the kept connection if this run keeps `warehouse` open and
    it is not open now. True while the warehouse is kept open: the schemas were made sure of
    when it was opened."""
    if _kept.path != str(warehouse):
        return False
    if _kept.con is None:
        _kept.con = duckdb.connect(_kept.path, config=config)
        return False
    return True


def release() -> None:
    """Let the warehouse go (a no-op when nothing is kept open)."""
    con, _kept.con = _kept.con, None
    if con is not None:
        con.close()
