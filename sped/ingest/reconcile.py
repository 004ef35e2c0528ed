"""Make the warehouse hold exactly the submissions the registry says are in force.

The registry (SQLite) and the warehouse (DuckDB) commit separately, so a crash between the two
can leave accepted rows unloaded, or a superseded submission's rows still loaded; a warehouse
deleted or restored from an older copy holds less still. Every run therefore starts each
collection by comparing `raw.<collection>` (whose rows carry `_submission_id`) with the
registry's submissions in force:

- a submission in force whose rows are missing, or whose row count differs from the count the
  registry recorded, is read and typed again from its stored file and its rows replaced;
- rows of a submission no longer in force (or never known) are removed.

A repair never removes every row of a collection on its own: when the registry has nothing of
it in force while the warehouse holds rows (a registry damaged or replaced, not a decision),
the collection stops with a message and needs `--allow-empty` (`EmptyingRefused`).

The recorded outcomes never change; each repair is written to the audit trail (`reloaded`,
`unloaded`) before the warehouse commits it, so the incremental build recomputes the LEAs
concerned. The stored bytes are checked against their SHA-256 before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import duckdb
import polars as pl

from sped.contracts import Collection
from sped.ingest.parts import batch_parts
from sped.landing import store, store_stamps
from sped.landing.registry import Registry, Submission

Progress = Callable[[str], None]


class EmptyingRefused(RuntimeError):
    """A repair would remove every row of a collection and was not allowed to."""


@dataclass
class Repair:
    """What reconciling one collection changed in the warehouse."""

    reloaded: int = 0  # submissions whose rows were loaded again from their stored files
    rows_reloaded: int = 0
    unloaded: int = 0  # submissions no longer in force whose rows were removed
    rows_removed: int = 0


def _describe(sub: Submission) -> str:
    where = f"LEA {sub.lea_id}, " if sub.lea_id else ""
    return f"submission {sub.submission_id} ({sub.collection}, {where}{sub.period})"


def check_stored(registry: Registry, collection: str, subs: Iterable[Submission]) -> None:
    """Raise StoreIntegrityError naming every submission whose stored file is missing or no
    longer matches its SHA-256, before any of them is read or loaded. A stored file whose stat
    is the one recorded when it was written or last found intact is not read again
    (sped/landing/store_stamps.py); every other one is hashed."""
    stamps = store_stamps.load(registry)
    damaged, intact = [], []
    for sub in subs:
        path = store.stored_path(registry.store_dir, sub.sha256)
        try:
            if stamps.get(sub.sha256) == store_stamps.stamp_of(path.stat()):
                continue
        except OSError:
            pass
        problem = store.check(registry.store_dir, sub.sha256)
        if problem is None:
            intact.append(path)
        else:
            damaged.append((sub, problem))
    store_stamps.record(registry, intact)
    if not damaged:
        return
    lines = "; ".join(f"{_describe(s)}: {p}" for s, p in damaged[:5])
    more = f" (and {len(damaged) - 5} more)" if len(damaged) > 5 else ""
    raise store.StoreIntegrityError(
        f"{collection}: {len(damaged)} stored file(s) damaged, so nothing of this collection "
        f"was validated or loaded: {lines}{more}. Put the original bytes back (sending the "
        "same file again repairs its stored copy) or restore the store from a backup; "
        "`sped audit verify` lists every damaged file."
    )


def loaded_counts(con: duckdb.DuckDBPyConnection, collection: str) -> dict[int, int]:
    """Rows per submission in raw.<collection>."""
    rows = con.execute(
        f"SELECT _submission_id, count(*) FROM raw.{collection} GROUP BY 1"
    ).fetchall()
    return {sid: n for sid, n in rows}


def out_of_step(
    con: duckdb.DuckDBPyConnection, registry: Registry, collection: str
) -> tuple[list[Submission], dict[int, int], dict[int, int]]:
    """(submissions in force to reload, stale submission ids -> rows, rows held per id)."""
    in_force = {s.submission_id: s for s in registry.in_force(collection).values()}
    held = loaded_counts(con, collection)
    stale = {sid: n for sid, n in held.items() if sid not in in_force}

    def missing(s: Submission) -> bool:
        if s.row_count is None:  # no count recorded: only a submission with no rows at all
            return s.submission_id not in held
        return held.get(s.submission_id, 0) != s.row_count

    reload = [s for _, s in sorted(in_force.items()) if missing(s)]
    return reload, stale, held


def reconcile_collection(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    collection: Collection,
    read: Callable[[list[Submission]], list[pl.DataFrame]],
    progress: Progress = lambda _m: None,
    *,
    record: bool = True,
    allow_empty: bool = False,
) -> Repair:
    """Repair raw.<collection> to hold exactly the registry's submissions in force. `read`
    reads and types stored files into frames with lineage (the batch's own reader). `record`
    False leaves the trail alone (a rebuild into a new file writes one event of its own).
    Removing every row the collection holds needs `allow_empty` (else EmptyingRefused)."""
    name = collection.name
    repair = Repair()
    reload, stale, held = out_of_step(con, registry, name)
    if not reload and not stale:
        return repair
    keeps = any(sid not in stale for sid in held) or any(s.row_count for s in reload)
    if stale and not keeps and not allow_empty:
        raise EmptyingRefused(
            f"{name}: this run would remove every row of the collection from the warehouse "
            f"({sum(stale.values()):,} rows of {len(stale)} submissions) because the registry "
            "has none of them in force; nothing was removed. If that is meant, run again with "
            "--allow-empty; if not, check the registry (`sped audit verify`) or restore the "
            "installation from a backup"
        )
    check_stored(registry, name, reload)
    got: dict[int, int] = {}
    con.execute(f"DROP TABLE IF EXISTS {_RELOAD}")
    try:
        staged = _stage_reload(con, reload, read, got)
        return _replace_rows(
            con, registry, name, reload, stale, held, got, staged, record, progress
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_RELOAD}")


#: The temporary table the files to reload are staged in, one part at a time.
_RELOAD = "sped_reload_staged"


def _stage_reload(
    con: duckdb.DuckDBPyConnection,
    reload: list[Submission],
    read: Callable[[list[Submission]], list[pl.DataFrame]],
    got: dict[int, int],
) -> bool:
    """Read the files to reload into a temporary table, one part at a time, so that only a
    part's rows are ever held in memory (sped/ingest/parts.py); `got` counts each file's rows.
    Returns whether the table was made (some file gave a frame)."""
    staged = False
    for part in batch_parts(reload):
        for frame in read(part):
            for sid, n in frame.group_by("_submission_id").len().iter_rows():
                got[sid] = got.get(sid, 0) + n
            con.register("sped_reload", frame.to_arrow())
            try:
                if staged:
                    con.execute(f"INSERT INTO {_RELOAD} SELECT * FROM sped_reload")
                else:
                    con.execute(f"CREATE TEMP TABLE {_RELOAD} AS SELECT * FROM sped_reload")
                    staged = True
            finally:
                con.unregister("sped_reload")
    return staged


def _replace_rows(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    name: str,
    reload: list[Submission],
    stale: dict[int, int],
    held: dict[int, int],
    got: dict[int, int],
    staged: bool,
    record: bool,
    progress: Progress,
) -> Repair:
    """Check every file in force was read, record the repair, and replace the rows of the
    submissions reloaded or no longer in force with the staged rows (`staged`: whether any
    were), in one transaction."""
    repair = Repair()
    unreadable = [s for s in reload if s.row_count and not got.get(s.submission_id)]
    if unreadable:
        raise RuntimeError(
            f"{name}: {', '.join(_describe(s) for s in unreadable[:5])} is in force but its "
            "stored file can no longer be read into rows, so its rows cannot be reloaded into "
            "the warehouse; see its findings with `sped annotate`."
        )
    for sid, n in sorted(stale.items()) if record else ():
        registry.record_repair(
            sid, "unloaded", f"{n} rows removed from the warehouse: no longer in force"
        )
    for s in reload if record else ():
        registry.record_repair(
            s.submission_id,
            "reloaded",
            f"{got.get(s.submission_id, 0)} rows reloaded from the stored file "
            f"(the warehouse held {held.get(s.submission_id, 0)})",
        )
    ids = [*stale, *(s.submission_id for s in reload)]
    con.execute("BEGIN")
    try:
        con.execute(
            f"DELETE FROM raw.{name} WHERE _submission_id IN (SELECT unnest(?))", [ids]
        ).fetchall()
        if staged:
            con.execute(f"INSERT INTO raw.{name} SELECT * FROM {_RELOAD}").fetchall()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    repair.reloaded = len(reload)
    repair.rows_reloaded = sum(got.values())
    repair.unloaded = len(stale)
    repair.rows_removed = sum(stale.values())
    progress(
        f"{name}: warehouse repaired from the stored files: {repair.reloaded} submissions "
        f"reloaded ({repair.rows_reloaded:,} rows), {repair.unloaded} no longer in force "
        f"removed ({repair.rows_removed:,} rows)"
    )
    return repair
