"""One collection's pending submissions, as a batch: read, type, validate, decide, load.

All pending files of a collection are read and typed, their rows put together in
`landing.<collection>` and validated in one pass; every finding names its submission, so one
district's bad file never holds up another's. Accepted submissions replace their key's rows in
`raw.<collection>` (the data in force); rejected ones leave the previous data in force.

The registry records an outcome before the warehouse loads the rows, so each collection starts
by reconciling the two (sped/ingest/reconcile.py): whatever a crash left unloaded is loaded
from the stored files first. Stored files are checked against their SHA-256 before they are read.
A step that has finished records its collection as settled for the inputs it had
(sped/ingest/settled.py), so a run that visits only what changed may pass it by.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from sped.config.profile import StateProfile
from sped.contracts import Collection
from sped.contracts.finding_repeats import without_repeats
from sped.contracts.findings import Finding
from sped.ingest import file_checks, read_ahead, settled
from sped.ingest.csv_batch import CsvBatch, PlainFile, plain_files, read_plain
from sped.ingest.limits import DEFAULT_LIMITS, Limits
from sped.ingest.parts import batch_parts, is_workbook
from sped.ingest.read import CONVENTIONS, XLSX_MAGIC, damaged_workbook_text, read_table
from sped.ingest.read_helpers import read_in_helpers
from sped.ingest.reconcile import check_stored, reconcile_collection
from sped.ingest.typing import type_batch, type_table
from sped.landing.registry import Registry, Submission
from sped.process import failpoints
from sped.warehouse.digests import submission_digests
from sped.warehouse.schema import create_table_sql

log = logging.getLogger("sped.ingest")

Validator = Callable[..., list[Finding]]
Progress = Callable[[str], None]


@dataclass
class BatchResult:
    """What happened to one collection's pending submissions."""

    collection: str
    submissions: int = 0
    accepted: int = 0
    rejected: int = 0
    superseded: int = 0
    rows_loaded: int = 0
    reloaded: int = 0  # submissions in force reloaded from their stored files (a repair)
    rows_reloaded: int = 0
    unloaded: int = 0  # submissions no longer in force whose leftover rows were removed
    rows_removed: int = 0
    prechecked: int = 0  # pending files whose upload check was reused (sped/ingest/file_checks.py)
    seconds: dict[str, float] = field(default_factory=dict)
    rules_failed: dict[str, int] = field(default_factory=dict)


def _lineage(frame: pl.DataFrame, sub: Submission) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(sub.submission_id, dtype=pl.Int64).alias("_submission_id"),
        pl.col("_source_row").cast(pl.Int64),
        pl.lit(sub.lea_id, dtype=pl.String).alias("_lea_id"),
        pl.lit(sub.period, dtype=pl.String).alias("_period"),
    ).select(
        [
            *(c for c in frame.columns if c != "_source_row"),
            "_submission_id",
            "_source_row",
            "_lea_id",
            "_period",
        ]
    )


def _known_leas(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT lea_id FROM raw.leas").fetchall()}


def read_one(
    data: bytes,
    sub: Submission,
    collection: Collection,
    known_leas: set[str] | None,
    limits: Limits | None = None,
) -> tuple[pl.DataFrame | None, list[Finding], int]:
    """Read and type one file: its typed rows with lineage (None if unreadable), findings,
    and its row count. `known_leas` None skips the LEA-directory check; `limits` (default: the
    safe defaults) bound what reading it may cost. Any failure while reading or typing this one
    file (a damaged workbook, a parser error, memory) rejects the file with a blocking finding
    and never stops the batch; only `Exception`s are caught, so an interrupt still stops it."""
    sid = sub.submission_id
    findings: list[Finding] = []
    if collection.lea_scoped and known_leas is not None and sub.lea_id not in known_leas:
        findings.append(_unknown_lea(collection, sub))
    try:
        result = read_table(data, sub.original_name, collection, sid, limits)
        findings += result.findings
        if result.table is None or not result.readable:
            return None, findings, 0 if result.table is None else result.table.height
        typed, type_findings = type_table(result.table, collection, sid)
        return _lineage(typed, sub), findings + type_findings, typed.height
    except Exception as exc:  # one file's failure is that file's finding, never the run's
        log.warning("submission %s could not be read: %s", sid, type(exc).__name__, exc_info=False)
        findings.append(unreadable_finding(exc, data, sub, collection))
        return None, findings, 0


def unreadable_finding(
    exc: Exception, data: bytes, sub: Submission, collection: Collection
) -> Finding:
    """The blocking finding of a file that failed while it was read or typed."""
    if isinstance(exc, MemoryError):
        text = (
            "The file needs more memory to read than this system allows; it was not read. "
            "Send it as CSV, or split it."
        )
    elif data.startswith(XLSX_MAGIC):
        text = damaged_workbook_text(exc)
    else:
        text = (
            f"The file cannot be read ({type(exc).__name__}). Save it again as CSV UTF-8 "
            "(comma-separated) and send it again."
        )
    return Finding(
        sub.submission_id, f"{collection.name}.file.unreadable", "blocking", text, CONVENTIONS
    )


def read_pending(
    registry: Registry,
    collection: Collection,
    pending: list[Submission],
    known_leas: set[str],
    progress: Progress,
    limits: Limits | None = None,
) -> tuple[list[pl.DataFrame], dict[int, list[Finding]], dict[int, int]]:
    """Read every pending file, then type all their rows in one pass; findings and row counts
    by submission. `limits` (default: the safe defaults) bound what reading each file may cost.

    The plain CSV files are read together by DuckDB's CSV reader (`read_plain`, one read per
    header layout); every other file on its own (`read_table`: its own messages, its own
    limits), in helper processes when the batch is worth it, or taken as the registration's
    helper read it ahead (sped/ingest/read_ahead.py). All the rows are then typed
    together (`type_batch`), which gives each file the rows and messages `read_one` gives it,
    without paying polars' per-call cost once per file (tests/test_batch_typing.py and
    tests/test_csv_batch.py compare them). A file whose reading raises goes through `read_one`
    instead, which decides what such a file is told."""
    findings: dict[int, list[Finding]] = defaultdict(list)
    rows: dict[int, int] = {}
    tables: list[pl.DataFrame] = []
    readable: list[Submission] = []
    frames: list[pl.DataFrame] = []

    def alone(sub: Submission, data: bytes) -> None:
        """One file read and typed on its own: read_one decides what a failing file is told."""
        sid = sub.submission_id
        frame, findings[sid], rows[sid] = read_one(data, sub, collection, known_leas, limits)
        if frame is not None:
            frames.append(frame)

    def own(sub: Submission):
        """The caller's own read of a file: its result, or None when reading raised."""
        data = registry.read_bytes(sub)
        try:
            return read_table(data, sub.original_name, collection, sub.submission_id, limits)
        except Exception:
            return None

    ahead = read_ahead.ready(pending)  # workbooks the registration's helper has read
    items, found = _plain_candidates(registry, collection, pending, limits or DEFAULT_LIMITS)
    # The helpers are offered every file that is not plain (the workbooks, mostly) before
    # DuckDB reads the plain ones, so that they start and read while it does.
    offered = [s for s in pending if s.submission_id not in found and s.submission_id not in ahead]
    with read_in_helpers(registry, collection, offered, limits) as in_helpers:
        plain = _read_plain_files(collection, pending, items, found, limits or DEFAULT_LIMITS)
        del items, found  # their bytes are in plain.table now
        done = len(pending) - len(plain.rest)
        if done:
            progress(
                f"{collection.name}: read {done}/{len(pending)} files (plain CSV, in one pass)"
            )
        for sub in pending:
            sid = sub.submission_id
            if sid in plain.rows:
                if (
                    collection.lea_scoped
                    and known_leas is not None
                    and sub.lea_id not in known_leas
                ):
                    findings[sid].append(_unknown_lea(collection, sub))
                findings[sid] += plain.findings[sid]
                rows[sid] = plain.rows[sid]
        careful = plain.rest  # every file offered, and any plain file DuckDB refused
        step = max(1, len(careful) // 10)
        # The caller reads what the helpers were not offered, then takes back the files they
        # were offered from the cheap end (they take the costliest first) until a helper has
        # claimed one: the rest are theirs. Then every result in the batch's order.
        by_id = {s.submission_id: s for s in careful}
        mine = [s for s in careful if s.submission_id not in in_helpers]
        mine += [by_id[sid] for sid in reversed(in_helpers.order())]
        results = {}
        for i, sub in enumerate(mine, 1):
            if sub.submission_id in in_helpers and not in_helpers.take(sub.submission_id):
                break
            sid = sub.submission_id
            results[sid] = ahead.pop(sid) if sid in ahead else own(sub)
            if i % step == 0 and i < len(careful):  # the last line is said once, below
                progress(f"{collection.name}: read {done + i}/{len(pending)} files")
        if in_helpers:
            progress(f"{collection.name}: {len(in_helpers)} files read by a helper process")
        for sub in careful:
            sid = sub.submission_id
            if sid in in_helpers:
                try:
                    result = in_helpers.futures[sid].result()
                except Exception:  # a helper that failed in any way: read it here
                    result = None
            else:
                result = results.pop(sid)
            if result is None:
                alone(sub, registry.read_bytes(sub))
                continue
            if collection.lea_scoped and known_leas is not None and sub.lea_id not in known_leas:
                findings[sid].append(_unknown_lea(collection, sub))
            findings[sid] += result.findings
            table = result.table
            rows[sid] = 0 if table is None else table.height
            if table is not None and result.readable:
                tables.append(table)
                readable.append(sub)
    if pending:
        progress(f"{collection.name}: read {len(pending)}/{len(pending)} files")
    if tables or plain.table is not None:
        together = [*(s for s in pending if s.submission_id in plain.rows), *readable]
        try:
            typed, type_findings = type_batch(
                tables, [s.submission_id for s in readable], collection, tagged=plain.table
            )
        except Exception:  # one file's typing failed: each file alone
            for sub in together:
                findings.pop(sub.submission_id, None)
                alone(sub, registry.read_bytes(sub))
            return frames, findings, rows
        for sid, found in type_findings.items():
            findings[sid] += found
        frames.insert(0, _batch_lineage(typed, together))
    return frames, findings, rows


def _plain_candidates(
    registry: Registry, collection: Collection, pending: list[Submission], limits: Limits
) -> tuple[list[tuple[Submission, bytes]], dict[int, PlainFile]]:
    """The pending CSV files with their bytes, and those of them found plain (`plain_files`);
    none is found plain if looking fails in any way (the careful reader then reads them)."""
    items = [(s, registry.read_bytes(s)) for s in pending if not is_workbook(s)]
    try:
        return items, plain_files(items, collection, limits)
    except Exception as exc:  # the careful reader decides what each file is told
        log.warning("%s: the batch CSV read failed (%s); each file is read on its own",
                    collection.name, type(exc).__name__)  # fmt: skip
        return items, {}


def _read_plain_files(
    collection: Collection,
    pending: list[Submission],
    items: list[tuple[Submission, bytes]],
    found: dict[int, PlainFile],
    limits: Limits,
) -> CsvBatch:
    """The plain CSV files (`found` among `items`) read together by DuckDB
    (sped/ingest/csv_batch.py); every file is left to the careful reader if that read fails in
    any way."""
    if not found:
        return CsvBatch(None, {}, {}, list(pending))
    try:
        batch = read_plain(items, collection, limits, found)
    except Exception as exc:  # the careful reader decides what each file is told
        log.warning("%s: the batch CSV read failed (%s); each file is read on its own",
                    collection.name, type(exc).__name__)  # fmt: skip
        return CsvBatch(None, {}, {}, list(pending))
    # the careful reader's files, in the batch's order: workbooks and what the batch read left
    batch.rest = [s for s in pending if s.submission_id not in batch.rows]
    return batch


def _unknown_lea(collection: Collection, sub: Submission) -> Finding:
    """The finding of a district file for an LEA the state's directory does not hold."""
    return Finding(
        sub.submission_id,
        f"{collection.name}.file.unknown_lea",
        "blocking",
        f"The district {sub.lea_id} is not in the state's LEA directory.",
        CONVENTIONS,
        None,
        0,
        (),
        (),
    )


def _batch_lineage(typed: pl.DataFrame, subs: list[Submission]) -> pl.DataFrame:
    """The lineage columns `_lineage` gives one file, for a batch tagged by submission."""
    keys = pl.DataFrame(
        {
            "_submission_id": [s.submission_id for s in subs],
            "_lea_id": [s.lea_id for s in subs],
            "_period": [s.period for s in subs],
        },
        schema={"_submission_id": pl.Int64, "_lea_id": pl.String, "_period": pl.String},
    )
    contract = [c for c in typed.columns if c not in ("_source_row", "_submission_id")]
    return typed.join(keys, on="_submission_id", how="left", maintain_order="left").select(
        [*contract, "_submission_id", pl.col("_source_row").cast(pl.Int64), "_lea_id", "_period"]
    )


def stage_batch(
    con: duckdb.DuckDBPyConnection,
    collection: Collection,
    frames: list[pl.DataFrame],
    *,
    replace: bool = True,
) -> int:
    """Replace landing.<collection> with the typed rows of the batch (`replace` False: add
    them to what it holds, a part of a batch)."""
    if replace:
        con.execute(create_table_sql("landing", collection, replace=True))
    if not frames:
        return 0
    batch = pl.concat(frames, how="vertical")
    con.register("sped_batch", batch.to_arrow())
    try:
        con.execute(f"INSERT INTO landing.{collection.name} SELECT * FROM sped_batch")
    finally:
        con.unregister("sped_batch")
    return batch.height


def load_accepted(
    con: duckdb.DuckDBPyConnection,
    collection: Collection,
    accepted: list[Submission],
    in_force: set[int],
) -> int:
    """Make the accepted submissions the data in force for their keys, in one transaction:
    rows of submissions no longer in force (`in_force`: every id in force now) go, the
    accepted submissions' staged rows come in."""
    if not accepted:
        return 0
    ids = [s.submission_id for s in accepted]
    name = collection.name
    con.execute("BEGIN")
    try:
        con.execute(  # NOT IN a subquery: DuckDB hashes it (NOT list_contains scans each list)
            f"DELETE FROM raw.{name} WHERE _submission_id IN (SELECT unnest(?)) "
            "OR _submission_id NOT IN (SELECT unnest(?))",
            [ids, sorted(in_force)],
        )
        n = con.execute(
            f"INSERT INTO raw.{name} SELECT * FROM landing.{name} "
            "WHERE _submission_id IN (SELECT unnest(?))",
            [ids],
        ).fetchone()[0]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return n


def process_collection(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    collection: Collection,
    profile: StateProfile,
    as_of: dt.date,
    *,
    validate: Validator | None = None,
    validate_cross: Validator | None = None,
    progress: Progress = lambda _msg: None,
    allow_empty: bool = False,
) -> BatchResult:
    """Reconcile the warehouse with the registry, then validate and load every pending
    submission of one collection. A damaged stored file (pending or in force) stops the
    collection before anything is decided or loaded (StoreIntegrityError); so does a repair
    that would remove every row of the collection, unless `allow_empty`."""
    result = BatchResult(collection.name)
    settled.unsettle(con, collection.name)  # until this step has finished
    pending = registry.pending(collection.name)
    known = _known_leas(con) if collection.lea_scoped else set()

    def read(subs: list[Submission]) -> list[pl.DataFrame]:
        return read_pending(registry, collection, subs, known, progress, profile.limits)[0]

    try:
        check_stored(
            registry, collection.name, [*pending, *registry.in_force(collection.name).values()]
        )
        repair = reconcile_collection(
            con, registry, collection, read, progress, allow_empty=allow_empty
        )
    except (OSError, RuntimeError) as exc:  # said where the operator reads, then the step fails
        progress(f"STOPPED: {exc}")
        raise
    result.reloaded, result.rows_reloaded = repair.reloaded, repair.rows_reloaded
    result.unloaded, result.rows_removed = repair.unloaded, repair.rows_removed
    result.submissions = len(pending)
    if pending:
        _validate_and_load(
            con, registry, collection, profile, as_of, pending, result, validate, progress
        )
    cross_rules = [r.id for r in collection.rules if r.stage == "cross"]
    if validate_cross is not None and cross_rules:
        # re-run on every load: the data they read (e.g. the roster) may have changed
        registry.replace_cross_findings(
            collection.name, cross_rules, validate_cross(con, collection.name, profile, as_of)
        )
    settled.settle(con, registry, collection.name, profile, as_of)
    return result


def _part_progress(progress: Progress, n: int, parts: int) -> Progress:
    return lambda message: progress(f"{message} (part {n} of {parts})")


def _validate_and_load(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    collection: Collection,
    profile: StateProfile,
    as_of: dt.date,
    pending: list[Submission],
    result: BatchResult,
    validate: Validator | None,
    progress: Progress,
) -> None:
    """Read, type and validate the pending files as one batch; record each outcome; load the
    accepted files' rows as the data in force."""
    clock = time.perf_counter()
    known = _known_leas(con) if collection.lea_scoped else set()
    findings: dict[int, list[Finding]] = defaultdict(list)
    rows: dict[int, int] = {}
    staged = stage_batch(con, collection, [])
    parts = batch_parts(pending)
    for n, part in enumerate(parts, 1):
        said = progress if len(parts) == 1 else _part_progress(progress, n, len(parts))
        frames, part_findings, part_rows = read_pending(
            registry, collection, part, known, said, profile.limits
        )
        findings.update(part_findings)
        rows.update(part_rows)
        staged += stage_batch(con, collection, frames, replace=False)
        del frames  # the part's rows are in the warehouse now: not held through validation
    result.seconds["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    if validate is not None and staged:
        checked = file_checks.reusable(con, registry, pending, profile, as_of)
        if checked is None:
            progress(f"{collection.name}: validating {staged:,} rows")
            checked = validate(con, collection.name, profile, as_of)
        else:  # the same bytes, directories, profile, date and code: the same findings
            result.prechecked = len(pending)
            progress(f"{collection.name}: {len(pending)} file(s) checked at upload under the "
                     "same inputs; their rules are not checked again")  # fmt: skip
        for f in checked:
            findings[f.submission_id].append(f)
        for sid in list(findings):  # a cell that could not be typed: reported once
            findings[sid] = without_repeats(findings[sid])
    result.seconds["validate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    for sub in pending:
        for f in findings.get(sub.submission_id, []):
            result.rules_failed[f.rule_id] = result.rules_failed.get(f.rule_id, 0) + 1
    if staged:  # what each would load, recorded with its outcome (sped audit verify)
        registry.record_loaded_rows(submission_digests(con, "landing", collection.name))
    statuses = registry.record_outcomes(
        ((s.submission_id, findings.get(s.submission_id, []), rows.get(s.submission_id, 0))
         for s in pending),
        checked_at_upload=[s.submission_id for s in pending] if result.prechecked else (),
    )  # fmt: skip
    failpoints.reached(f"recorded:{collection.name}")  # outcomes committed, rows not loaded
    accepted: list[Submission] = []
    for sub, status in zip(pending, statuses, strict=True):
        if status == "accepted":
            accepted.append(sub)
        setattr(result, status, getattr(result, status) + 1)
    # A later file for the same key in this batch supersedes an earlier one just accepted.
    in_force = {s.submission_id for s in registry.in_force(collection.name).values()}
    accepted = [s for s in accepted if s.submission_id in in_force]
    result.superseded += result.accepted - len(accepted)
    result.accepted = len(accepted)
    failpoints.reached(f"decided:{collection.name}")  # every outcome committed, none loaded
    result.rows_loaded = load_accepted(con, collection, accepted, in_force)
    failpoints.reached(f"loaded:{collection.name}")
    con.execute(f"DROP TABLE IF EXISTS landing.{collection.name}")
    result.seconds["load"] = time.perf_counter() - clock
