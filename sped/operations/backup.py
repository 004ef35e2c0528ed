"""`sped backup` and `sped restore`: a consistent copy of an installation, checked on the way back.

A backup holds the run lock (so no run writes meanwhile), copies the registry with SQLite's
online backup, every stored file (each checked against its SHA-256), and the warehouse after a
CHECKPOINT, then writes `manifest.json` last: every file's path, size and SHA-256, and the head
of the audit trail's hash chain. A directory without a manifest is not a backup.

A restore checks every file against the manifest first, refuses to write into an installation
that holds anything, marks the target as being restored (`.restoring`: every run, `sped serve`
and `sped audit verify` refuse it meanwhile, sped/landing/registry_guard.py), copies the files
into place (stored files read-only and private, 0400; the registry last), checks the restored
trail's head against the manifest, removes the mark and publishes the restored warehouse. A
restore killed part-way leaves the mark: the same restore run again clears what the unfinished
one copied and starts over.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import duckdb

from sped.config.settings import Installation
from sped.landing import registry_guard, store
from sped.process import failpoints
from sped.run.run_lock import Holder, run_lock

MANIFEST = "manifest.json"
FORMAT = 1

Out = Callable[[str], None]


def _chain_head(registry: Path) -> dict:
    con = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT event_id, hash FROM events ORDER BY event_id DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return {"event_id": row[0], "hash": row[1]} if row else {"event_id": 0, "hash": None}


def _entry(root: Path, path: Path) -> dict:
    return {
        "path": path.relative_to(root).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": store.sha256_file(path),
    }


def _waiting(out: Out) -> Callable[[Holder], None]:
    return lambda h: out(f"waiting: a run is in progress ({h.describe()}: {h.what})")


def backup(inst: Installation, target: Path, *, wait: bool = False, out: Out = print) -> dict:
    """Copy the installation to `target` (new or empty); returns the manifest."""
    from sped.run.steps import open_registry

    if not inst.registry.exists():
        raise ValueError(f"no installation at {inst.root}: {inst.registry} does not exist")
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"backup directory {target} is not empty")
    if target == inst.root or inst.root in target.parents:
        raise ValueError("the backup directory must lie outside the installation")
    with run_lock(inst.root, f"sped backup to {target}", wait=wait, on_wait=_waiting(out)):
        target.mkdir(parents=True, exist_ok=True)
        files = []
        registry = open_registry(inst)
        try:
            registry.backup_to(target / "registry.sqlite")
        finally:
            registry.close()
        files.append(_entry(target, target / "registry.sqlite"))
        copied = 0
        for path in store.stored_files(inst.store):
            dest = target / "store" / path.parent.name / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            entry = _entry(target, dest)
            if entry["sha256"] != path.name:
                raise ValueError(
                    f"stored file {path} does not match its SHA-256: repair the store first "
                    "(`sped audit verify` lists what is damaged); no backup was written"
                )
            files.append(entry)
            copied += 1
        if inst.warehouse.exists():
            con = duckdb.connect(str(inst.warehouse))
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()
            shutil.copyfile(inst.warehouse, target / "warehouse.duckdb")
            files.append(_entry(target, target / "warehouse.duckdb"))
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": str(inst.warehouse),
            "audit_chain_head": _chain_head(target / "registry.sqlite"),
            "stored_files": copied,
            "files": files,
        }
        tmp = target / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(tmp, target / MANIFEST)
    out(
        f"backup of {inst.root} in {target}: registry, {copied} stored files"
        + (", warehouse" if inst.warehouse.exists() else " (no warehouse yet)")
    )
    return manifest


def check_backup(source: Path) -> dict:
    """The manifest of a complete, intact backup; ValueError naming the first problem."""
    path = source / MANIFEST
    if not path.is_file():
        raise ValueError(f"{source} is not a complete backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is not a backup manifest") from None
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: unknown backup format {manifest.get('format')!r}")
    for entry in files:
        rel = Path(entry["path"])
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"{path}: a file outside the backup is listed: {entry['path']}")
        file = source / rel
        if not file.is_file():
            raise ValueError(f"backup file {entry['path']} is missing")
        if file.stat().st_size != entry["bytes"] or store.sha256_file(file) != entry["sha256"]:
            raise ValueError(f"backup file {entry['path']} does not match the manifest")
    if not any(e["path"] == "registry.sqlite" for e in files):
        raise ValueError(f"{path}: the backup holds no registry")
    return manifest


def _is_empty(inst: Installation) -> bool:
    return not (
        inst.warehouse.exists() or inst.registry.exists() or any(store.stored_files(inst.store))
    )


def _clear_unfinished(inst: Installation) -> None:
    """Remove what an unfinished restore copied (the target was empty when it began)."""
    for path in (inst.registry, inst.warehouse, inst.published_warehouse):
        for suffix in ("", "-wal", "-shm", ".wal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    for leftover in inst.root.glob(".restore-*"):
        leftover.unlink()
    shutil.rmtree(inst.store, ignore_errors=True)
    inst.store.mkdir(mode=0o700)


def restore(source: Path, inst: Installation, *, out: Out = print) -> dict:
    """Restore the backup in `source` into the (empty) installation `inst`."""
    from sped.operations.audit import verify
    from sped.run.steps import publish

    source = source.resolve()
    manifest = check_backup(source)
    marker = registry_guard.restoring(inst)
    if not _is_empty(inst) and not marker.exists():
        raise ValueError(
            f"{inst.root} already holds an installation (a registry, warehouse or stored "
            "files): restore into an empty place"
        )
    inst.create()
    with run_lock(inst.root, f"sped restore from {source}"):
        if marker.exists():  # a restore killed part-way: what it copied goes, then again
            _clear_unfinished(inst)
            out(f"an unfinished restore into {inst.root} was cleared; starting over")
        elif not _is_empty(inst):
            raise ValueError(f"{inst.root} was written meanwhile: restore into an empty place")
        marker.write_text(f"restore from {source} under way\n", encoding="utf-8")
        entries = sorted(manifest["files"], key=lambda e: e["path"] == "registry.sqlite")
        for entry in entries:
            rel = Path(entry["path"])
            if entry["path"] == "registry.sqlite":
                dest = inst.registry
            elif entry["path"] == "warehouse.duckdb":
                dest = inst.warehouse
            else:
                dest = inst.store / rel.relative_to("store")
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".restore-{dest.name}")
            shutil.copyfile(source / rel, tmp)
            if store.sha256_file(tmp) != entry["sha256"]:
                tmp.unlink()
                raise ValueError(f"copying {entry['path']} changed it: restore stopped")
            if dest.parent.parent == inst.store:
                tmp.chmod(0o400)  # as the store keeps every file (sped/landing/store.py)
            os.replace(tmp, dest)
            failpoints.reached("restore:copying")
        if _chain_head(inst.registry) != manifest["audit_chain_head"]:
            raise ValueError("the restored audit trail does not end where the manifest says")
        problems = verify(inst)
        if problems:
            raise ValueError(f"the restored installation fails `sped audit verify`: {problems[0]}")
        marker.unlink()
        if inst.warehouse.exists():
            publish(inst, record=False)
    out(
        f"restored {manifest['stored_files']} stored files, the registry"
        + (" and the warehouse" if inst.warehouse.exists() else "")
        + f" from {source} into {inst.root}"
    )
    return manifest
