"""The pipeline's steps as plain functions; Dagster assets and the CLI both call these.

register_landing -> (per collection) ingest.batch.process_collection -> mirror_submissions
-> dbt build -> publish.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from sped.config.settings import Installation
from sped.ingest.limits import DEFAULT_LIMITS, Limits
from sped.landing import registry_guard
from sped.landing.layout import LayoutError, declared_key, read_regular, walk
from sped.landing.registry import Incoming, ReceivingBatch, Registry
from sped.process import failpoints
from sped.warehouse import kept_open, publication_pending, publication_stamp
from sped.warehouse.schema import SUBMISSIONS_COLUMNS, ensure_schemas

Progress = Callable[[str], None]

#: Registration stores files and records their receipts in batches of at most this many files
#: or bytes: one flush to disk and one registry transaction per batch instead of per file.
BATCH_FILES = 500
BATCH_BYTES = 64 * 2**20
#: Files read, hashed and stored at once during registration: system calls and hashing release
#: the interpreter, so two threads overlap them (state scale, same disk: 4.5-5.0 s with one,
#: 3.3 s with two, 3.6-4.0 s with four, 3.9-4.6 s with eight: file creation contends beyond two).
REGISTRATION_THREADS = 2


@dataclass
class RegistrationSummary:
    """What registering a landing folder did."""

    new: Counter = field(default_factory=Counter)  # by collection
    duplicates: int = 0
    already_seen: int = 0
    unroutable: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def open_registry(inst: Installation) -> Registry:
    """The installation's registry; made only for a new installation, and refused (one line:
    restore from a backup) where the installation has lost it (sped/landing/registry_guard.py)."""
    inst.create()
    registry_guard.check(inst)
    return Registry(inst.registry, inst.store, create=registry_guard.may_create(inst))


def registry_identity(inst: Installation) -> str:
    """The identity of the installation's registry (a new installation's registry is made
    first, so no warehouse ever exists before its registry)."""
    found = registry_guard.registry_identity(inst)
    if found is None:  # a new installation, or a registry from before identities: given one
        open_registry(inst).close()
        found = registry_guard.registry_identity(inst)
    assert found is not None
    return found


def connect(inst: Installation) -> duckdb.DuckDBPyConnection:
    """The single writer connection to the warehouse, with raw tables in place (a run keeps the
    database open between its steps: sped/warehouse/kept_open.py)."""
    from sped.validation.gx_duckdb import shared_config

    inst.create()
    identity = registry_identity(inst)
    config = shared_config()
    ensured = kept_open.hold(inst.warehouse, config)
    con = duckdb.connect(str(inst.warehouse), config=config)
    if not ensured:
        ensure_schemas(con)
        try:
            registry_guard.check_warehouse(con, inst, identity)
        except BaseException:
            con.close()
            kept_open.release()
            raise
    return con


def arrived(stat: os.stat_result) -> str:
    """When a file reached the landing folder: its modification time (UTC, ISO), from the
    stat registration already took (links are refused, so it is the file's own)."""
    stamp = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(tzinfo=None)
    return stamp.isoformat(timespec="microseconds")


def register_landing(
    landing: Path,
    registry: Registry,
    *,
    submitter: str,
    progress: Progress = lambda _m: None,
    limits: Limits | None = None,
) -> RegistrationSummary:
    """Register every file under `landing` as a submission (re-scanning is safe: a file whose
    path and bytes were already received is skipped, and identical bytes are recognised). A
    file's received time is when it reached the folder (its modification time), never later
    than now. A file whose path, size and modification time are those it had when it was last
    hashed is skipped without being read (sped/landing/seen_files.py). A file larger than the
    profile's `limits.max_file_mb` is refused without being read (default: the safe limits).
    One registration of the installation at a time (`registering`)."""
    with registering(registry):
        return _register_landing(landing, registry, submitter, progress, limits)


#: Beside the registry: locked for the whole of a landing folder's registration.
REGISTERING_LOCK = "registering.lock"


@contextmanager
def registering(registry: Registry) -> Iterator[None]:
    """Hold the installation's registration lock (`fcntl.flock`, released by the kernel when
    its holder ends, even killed). A run registers its landing folder in a helper process
    (sped/launch/registering.py); a helper whose run was killed outright ends moments later
    (sped/process/helper_watch.py), and may be in the middle of a batch meanwhile. A rerun
    registering the same folder waits here for it, so it sees every receipt that helper
    recorded, exactly as if the killed run had recorded them itself."""
    fd = os.open(registry.path.with_name(REGISTERING_LOCK), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file releases the flock


def _register_landing(
    landing: Path,
    registry: Registry,
    submitter: str,
    progress: Progress,
    limits: Limits | None,
) -> RegistrationSummary:
    from sped.landing import seen_files, store, store_stamps
    from sped.landing.store import sha256_bytes

    summary = RegistrationSummary()
    files = walk(landing, refused=summary.refused)  # links, devices: refused, never read
    seen = registry.known_landing_paths()
    stamps = seen_files.load(registry)
    hashed: dict[str, seen_files.Stamp] = {}
    written: list[Path] = []  # stored files this registration wrote from bytes it hashed
    batch = ReceivingBatch()

    def record() -> None:
        """Flush the staged files to disk and record their receipts in one transaction."""
        items = list(batch.incoming)  # receive_batch empties the batch
        receipts = registry.receive_batch(batch)
        failpoints.reached("registering:recorded")  # a batch's receipts in, the stamps not yet
        for item, receipt in zip(items, receipts, strict=True):
            if receipt.outcome == "new":
                summary.new[item.key.collection] += 1
            elif receipt.outcome == "unroutable":
                summary.unroutable.append((item.landing_path, receipt.detail))
            elif receipt.outcome == "refused":
                summary.refused.append((item.landing_path, receipt.detail))
            else:
                summary.duplicates += 1

    candidates: list[tuple[Path, Path, os.stat_result]] = []
    for path in files:
        rel = path.relative_to(landing)
        stat = path.lstat()
        if seen_files.unchanged(stamps.get(str(rel)), rel, stat, seen):
            summary.already_seen += 1
            continue
        if stat.st_size > (limits or DEFAULT_LIMITS).max_file_bytes:
            summary.refused.append(
                (
                    str(rel),
                    f"{stat.st_size / 1_048_576:,.1f} MB is over the file size limit of "
                    f"{(limits or DEFAULT_LIMITS).max_file_mb:g} MB (state profile "
                    "limits.max_file_mb); not read",
                )
            )
            continue
        candidates.append((path, rel, stat))

    def fetch(candidate):
        """In a helper thread: read, hash and store one file (not yet flushed to disk); the
        system calls and the hashing let the threads overlap."""
        path, rel, _stat = candidate
        owner: list[int] = []
        try:
            data = read_regular(path, owner=owner)
        except OSError as exc:  # swapped for a link or a device since the walk
            return exc, None, None, 0, None
        digest = sha256_bytes(data)
        if (str(rel), digest) in seen:
            return None, digest, None, len(data), owner[0]
        _, stored = store.put(registry.store_dir, data, durable=False, digest=digest)
        return None, digest, stored, len(data), owner[0]

    step = max(1, len(candidates) // 10)
    with ThreadPoolExecutor(max_workers=REGISTRATION_THREADS) as pool:
        fetched = pool.map(fetch, candidates)
        for i, ((path, rel, stat), (error, digest, stored, size, uid)) in enumerate(
            zip(candidates, fetched, strict=True), 1
        ):
            if error is not None:
                summary.refused.append((str(rel), f"not read: {error.strerror or error}"))
                continue
            hashed[str(rel)] = seen_files.Stamp.of(stat, digest)
            if stored is None:
                summary.already_seen += 1
                continue
            try:
                key, unroutable = declared_key(rel), None
            except LayoutError as exc:
                key, unroutable = None, str(exc)
            batch.add(
                Incoming(key, digest, size, path.name, submitter, str(rel), arrived(stat),
                         unroutable, file_uid=uid),
                stored,
            )  # fmt: skip
            written.append(stored)
            if len(batch.incoming) >= BATCH_FILES or batch.size_bytes >= BATCH_BYTES:
                record()
            if i % step == 0 or i == len(candidates):
                progress(f"registered {i}/{len(candidates)} files")
    record()
    # after the receipts: a stamp without its receipt is never trusted (see seen_files)
    seen_files.record(registry, hashed)
    store_stamps.record(registry, written)  # on disk now (the receipts synced them)
    return summary


def mirror_submissions(con: duckdb.DuckDBPyConnection, registry: Registry) -> int:
    """Copy the registry's submissions into raw.submissions for dbt (the registry stays the
    system of record)."""
    subs = registry.submissions()
    names = [n for n, _ in SUBMISSIONS_COLUMNS]
    frame = pl.DataFrame(
        {
            "submission_id": [s.submission_id for s in subs],
            "collection": [s.collection for s in subs],
            "lea_id": [s.lea_id for s in subs],
            "period": [s.period for s in subs],
            "original_name": [s.original_name for s in subs],
            "sha256": [s.sha256 for s in subs],
            "size_bytes": [s.size_bytes for s in subs],
            "received_at": [s.received_at for s in subs],
            "submitter": [s.submitter for s in subs],
            "status": [s.status for s in subs],
            "error_count": [s.error_count for s in subs],
            "warning_count": [s.warning_count for s in subs],
            "row_count": [s.row_count for s in subs],
            "validated_at": [s.validated_at for s in subs],
            "in_force": [s.status == "accepted" for s in subs],
        },
        schema={
            "submission_id": pl.Int64,
            "collection": pl.String,
            "lea_id": pl.String,
            "period": pl.String,
            "original_name": pl.String,
            "sha256": pl.String,
            "size_bytes": pl.Int64,
            "received_at": pl.String,
            "submitter": pl.String,
            "status": pl.String,
            "error_count": pl.Int64,
            "warning_count": pl.Int64,
            "row_count": pl.Int64,
            "validated_at": pl.String,
            "in_force": pl.Boolean,
        },
    )
    con.register("sped_submissions", frame.to_arrow())
    try:
        con.execute("BEGIN")
        con.execute("DELETE FROM raw.submissions")
        con.execute(f"INSERT INTO raw.submissions SELECT {', '.join(names)} FROM sped_submissions")
        con.execute("COMMIT")
    finally:
        con.unregister("sped_submissions")
    return len(subs)


class NotPublished(RuntimeError):
    """The warehouse's raw data no longer matches the registry: its marts are not published."""


def raw_supported(con: duckdb.DuckDBPyConnection, inst: Installation) -> None:
    """Raise NotPublished unless every raw table holds exactly the rows of the submissions the
    registry has in force (per submission, the count it recorded), in a warehouse made with
    this registry: marts built from anything else are never published. The registry must be
    there (sped/landing/registry_guard.py)."""
    from sped.contracts import COLLECTIONS
    from sped.ingest.reconcile import out_of_step

    registry = open_registry(inst)
    try:
        registry_guard.check_warehouse(con, inst, registry_identity(inst))
        behind = []
        for name in COLLECTIONS:
            reload, stale, _held = out_of_step(con, registry, name)
            if reload or stale:
                behind.append(f"{name} ({len(reload)} in force not held, {len(stale)} held "
                              "not in force)")  # fmt: skip
    finally:
        registry.close()
    if behind:
        raise NotPublished(
            "the warehouse's raw data no longer matches the registry, so its marts were not "
            f"published (the last published snapshot stays): {'; '.join(behind)}. The next "
            "run repairs the warehouse from the stored files"
        )


def publish(inst: Installation, *, record: bool = True) -> Path:
    """Copy the warehouse to the published snapshot readers use, atomically; the trail records
    each published table's digest (`record` False: a restore, whose trail already ends as the
    backup's did). Only once its raw data is checked to be what the registry has in force
    (`raw_supported`).

    The snapshot is put in place first and digested there, so readers have it without waiting
    for the digests; the registry notes it as pending just before, so that `sped audit verify`
    meanwhile, or after a crash between the two, does not take it for a snapshot changed outside
    sped (sped/warehouse/publication_pending.py). A crash there leaves the trail's last
    publication older than the snapshot; the next run, whose build finds the marts differ from
    that publication, builds and publishes again."""
    inst.create()
    kept_open.release()  # checkpointed and copied whole: nothing of this process holds it
    failpoints.reached("publishing")
    con = duckdb.connect(str(inst.warehouse))
    try:
        raw_supported(con, inst)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp = inst.published_dir / ".warehouse.duckdb.tmp"
    seen = publication_stamp.stamp(inst.warehouse)
    shutil.copyfile(inst.warehouse, tmp)
    with open_registry(inst) as registry:
        if not record:
            os.replace(tmp, inst.published_warehouse)
            publication_stamp.forget(registry)
            return inst.published_warehouse
        publication_pending.note(registry, tmp)
        os.replace(tmp, inst.published_warehouse)
        failpoints.reached("published:digesting")  # in place, its digests not yet recorded
        marts = _published_digests(inst.published_warehouse)
        # what was published, for `sped audit verify`; and the working file as it was copied,
        # so that the next run knows its marts untouched without reading them
        registry.record_publication(marts, f"{len(marts)} tables published")
        publication_stamp.record(registry, inst.warehouse, seen, marts)
    return inst.published_warehouse


def _published_digests(path: Path) -> dict[str, str]:
    from sped.warehouse.digests import mart_digests

    con = duckdb.connect(str(path), read_only=True)
    try:
        return mart_digests(con)
    finally:
        con.close()
