"""Which collections a run may pass by: settled since their inputs last changed.

A collection's step (sped/ingest/batch.py `process_collection`) repairs the warehouse from the
registry, validates and loads the pending files, and re-runs the cross-checks. Once it has done
so, doing it again changes nothing until one of its inputs changes. The step therefore records,
as its last act, a fingerprint of those inputs in `raw.collections_settled`, and deletes that
record as its first act, so a step interrupted anywhere leaves its collection unsettled.

The fingerprint covers everything the step's outcome depends on:

- the submissions in force of the collection and of every collection its step reads
  (`sped.contracts.reads`: the directories, the roster for the monitoring log, the PPPS count
  for child find), from the registry, the system of record;
- the state profile and the as-of date (rules and due dates depend on them);
- the code that decides findings (the contracts, the validation package, and the ingest
  package that reads and types the rows the rules see).

A collection needs a visit when it has pending files, when it is not settled or its recorded
fingerprint differs from today's, or when a collection it reads is visited in the same run.
The portal's runs (`sped pipeline --changed-only`) visit only those; a full run (the nightly
schedule, `sped pipeline` by hand) visits every collection and re-checks every stored file.
The record lives in the warehouse, so a warehouse deleted or restored from a copy carries no
record, or the copy's, and every collection whose data differs from the registry is visited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb

from sped.config.profile import StateProfile
from sped.contracts import COLLECTIONS, reads
from sped.landing.registry import Registry, now
from sped.warehouse.schema import SETTLED_TABLE

#: Created with the other raw tables (sped/warehouse/schema.py SETTLED_DDL).
TABLE = SETTLED_TABLE


def _source_digest() -> str:
    """SHA-256 over the source of the code that decides a submission's findings: the
    contracts (rules, codes), the validation package (how each kind of rule is checked), the
    ingest package (how a file is read and typed: the values the rules see); the findings' own
    bounds (sped/contracts/findings.py) are part of the contracts."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    sources = [p for d in ("contracts", "validation", "ingest") for p in (root / d).rglob("*.py")]
    for path in sorted(sources):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


#: Taken when this module is imported (about 1 ms), not when first asked: a process runs the
#: code it imported, and the portal's worker imports it before forking its runs, so files
#: changed on disk after that (a deploy before the portal restarts) are not mistaken for the
#: code the runs execute.
_CODE_DIGEST = _source_digest()


def code_digest() -> str:
    """The digest of the code that decides findings, as this process imported it."""
    return _CODE_DIGEST


def deciders(profile: StateProfile, as_of: dt.date) -> dict[str, str]:
    """What decides findings besides the data: the profile (what it says, not where it was
    read from), the as-of date and the code."""
    return {
        "profile": repr(dataclasses.replace(profile, source="")),
        "as_of": as_of.isoformat(),
        "code": code_digest(),
    }


def fingerprint(
    in_force: dict[str, list[int]], collection: str, profile: StateProfile, as_of: dt.date
) -> str:
    """The fingerprint of one collection's inputs; `in_force` maps each collection to the ids
    of its submissions in force (Registry.in_force_ids)."""
    inputs = {
        "collection": collection,
        "in_force": {n: sorted(in_force.get(n, [])) for n in (collection, *reads(collection))},
        **deciders(profile, as_of),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def unsettle(con: duckdb.DuckDBPyConnection, collection: str) -> None:
    """The step's first act: its collection is no longer settled (committed at once)."""
    con.execute(f"DELETE FROM {TABLE} WHERE collection = ?", [collection])


def settle(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    collection: str,
    profile: StateProfile,
    as_of: dt.date,
) -> None:
    """The step's last act: its collection is settled for the inputs it has now."""
    inputs = fingerprint(registry.in_force_ids(), collection, profile, as_of)
    con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?)", [collection, inputs, now()])


def to_visit(
    con: duckdb.DuckDBPyConnection, registry: Registry, profile: StateProfile, as_of: dt.date
) -> list[str]:
    """The collections a run must visit, in the pipeline's order (see the module docstring)."""
    recorded = dict(con.execute(f"SELECT collection, fingerprint FROM {TABLE}").fetchall())
    in_force = registry.in_force_ids()
    pending = registry.pending_counts()
    visit: list[str] = []
    for name in COLLECTIONS:  # ordered: what a collection reads comes before it
        if (
            pending.get(name, 0)
            or recorded.get(name) != fingerprint(in_force, name, profile, as_of)
            or any(r in visit for r in reads(name))
        ):
            visit.append(name)
    return visit
