"""The registry is the record: nothing runs on an installation that has lost it.

The registry (registry.sqlite) alone records what was received, what was decided and who may
do what; the stored files and the warehouse are kept from it. A new, empty registry beside
them would make every stored file an orphan and every warehouse row unsupported, and the next
run would remove those rows without a word. So:

- a registry is created only for a new installation: no registry, no stored file, no warehouse
  and no published snapshot, and no restore under way (`may_create`). Everywhere else the
  registry is opened without creating it (SQLite's `mode=rw`), so a registry deleted under a
  running step is never made again;
- every run, `sped serve` and `sped audit verify` refuse to start (`check`) when the
  installation has stored files or a warehouse but no registry, when a restore into it did not
  finish, or when its warehouse was made with another registry (a registry younger than its
  warehouse), each with one line saying to restore from a backup;
- each registry carries an identity made when it is created (its `registry_identity` table);
  the warehouse records the identity of the registry it was first opened with
  (`raw.registry_identity`), and a step that opens it checks that the two agree
  (`check_warehouse`).
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sped.config.settings import Installation
from sped.landing import store

if TYPE_CHECKING:
    import duckdb

#: Written by `sped restore` before it copies anything, removed once the restore is complete.
RESTORING = ".restoring"

REGISTRY_TABLE = "registry_identity"
REGISTRY_DDL = (
    f"CREATE TABLE IF NOT EXISTS {REGISTRY_TABLE} (identity TEXT NOT NULL, created_at TEXT "
    "NOT NULL)"
)
WAREHOUSE_TABLE = "raw.registry_identity"
WAREHOUSE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {WAREHOUSE_TABLE} (identity VARCHAR NOT NULL, "
    "recorded_at TIMESTAMP NOT NULL)"
)


class RegistryLost(ValueError):
    """The installation holds data its registry does not (or no longer) vouch for."""


def _restore_hint(inst: Installation) -> str:
    return (
        f"move {inst.root} aside and restore the installation from a backup "
        f"(sped restore --from BACKUP --warehouse {inst.warehouse})"
    )


def restoring(inst: Installation) -> Path:
    return inst.root / RESTORING


def _holds_data(inst: Installation) -> list[str]:
    """What the installation holds besides a registry (empty: nothing)."""
    held = []
    if inst.store.is_dir() and any(store.stored_files(inst.store)):
        held.append("stored files")
    if inst.warehouse.exists():
        held.append("a warehouse")
    if inst.published_warehouse.exists():
        held.append("a published snapshot")
    return held


def may_create(inst: Installation) -> bool:
    """Whether a registry may be created here now: a new installation (see the docstring)."""
    return not (inst.registry.exists() or restoring(inst).exists() or _holds_data(inst))


def check(inst: Installation) -> None:
    """Raise RegistryLost (one line) when the installation must not be used as it is: a restore
    into it did not finish, or it holds stored files or a warehouse but no registry. A new
    installation (nothing in it) passes."""
    if restoring(inst).exists():
        raise RegistryLost(
            f"a restore into {inst.root} did not finish: run the same `sped restore` again "
            "(it starts over from the backup)"
        )
    if inst.registry.exists():
        return
    held = _holds_data(inst)
    if held:
        raise RegistryLost(
            f"{inst.root} holds {' and '.join(held)} but no registry ({inst.registry.name}, "
            "the record of every file received and decided); a new registry would silently "
            f"drop that record, so nothing was started: {_restore_hint(inst)}"
        )


def ensure_identity(con: sqlite3.Connection, new_id: str, at: str) -> None:
    """Give a registry its identity if it has none (a new registry; or one made before
    identities existed, which is adopted as it is)."""
    con.execute(REGISTRY_DDL)
    if con.execute(f"SELECT 1 FROM {REGISTRY_TABLE}").fetchone() is None:
        con.execute(f"INSERT INTO {REGISTRY_TABLE} VALUES (?, ?)", (new_id, at))


def new_identity() -> str:
    return uuid.uuid4().hex


def registry_identity(inst: Installation) -> str | None:
    """The identity of the installation's registry, read without writing (None: it has none
    recorded yet, or no registry)."""
    if not inst.registry.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{inst.registry}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = con.execute(f"SELECT identity FROM {REGISTRY_TABLE}").fetchone()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return row[0] if row else None


def check_warehouse(con: duckdb.DuckDBPyConnection, inst: Installation, identity: str) -> None:
    """The warehouse records the registry it was first opened with: record `identity` in a
    warehouse that records none, or raise RegistryLost when it records another."""
    con.execute(WAREHOUSE_DDL)
    rows = con.execute(f"SELECT identity FROM {WAREHOUSE_TABLE}").fetchall()
    if not rows:
        con.execute(f"INSERT INTO {WAREHOUSE_TABLE} VALUES (?, now())", [identity])
        return
    if rows[0][0] != identity:
        raise RegistryLost(
            f"the warehouse of {inst.root} was made with another registry than the one there "
            f"now ({inst.registry.name} is younger than its warehouse), so nothing was "
            f"started: {_restore_hint(inst)}"
        )
