"""`sped audit verify`: check an installation's audit trail and stored files for tampering.

Checks, in this order, and reports every problem found (the first one first):

1. the hash chain of `events` (sped/landing/trail.py): each event's `prev_hash` is the hash of
   the event before it, and its `hash` is recomputed from its fields and its submission's facts
   as the registry holds them now — so an edited, deleted, inserted or reordered event, or an
   edited submission (key, file name, checksum, size, received time, submitter), shows;
2. every submission's status replays from its trail: received, then accepted or rejected, then
   perhaps superseded (by the submission its event names) — so a rejected submission flipped to
   accepted, or a status event deleted, shows;
3. every stored file a submission or receipt names exists and its bytes hash to its name, and
   no other file in the store is damaged.

A hash chain recomputed from scratch by someone who can write the registry is consistent in
itself; against that, `--backup DIR` also checks that the trail still holds, unchanged, the
event a backup's manifest says the trail ended at. It reads the registry through SQLite's
read-only mode and changes nothing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sped.config.settings import Installation
from sped.landing import store, trail


@dataclass(frozen=True)
class Problem:
    where: str  # "event 12", "submission 4", "stored file ab12..."
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _chain(con: sqlite3.Connection) -> list[Problem]:
    problems: list[Problem] = []
    columns = {r[1] for r in con.execute("PRAGMA table_info(events)").fetchall()}
    if "hash" not in columns:
        return [
            Problem(
                "events",
                "the trail has no hash chain yet (opening the registry with sped adds one)",
            )
        ]
    prev = trail.GENESIS
    rows = con.execute(
        "SELECT event_id, at, submission_id, event, detail, prev_hash, hash FROM events "
        "ORDER BY event_id"
    ).fetchall()
    for event_id, at, sid, event, detail, prev_hash, digest in rows:
        where = f"event {event_id} ({event}" + (f", submission {sid})" if sid else ")")
        if prev_hash != prev:
            what = (
                "the first event does not start the chain: earlier events were deleted"
                if prev == trail.GENESIS
                else "it does not follow the event before it: an event was deleted, inserted "
                "or changed before it"
            )
            problems.append(Problem(where, what))
        facts = trail.submission_facts(con, sid)
        if sid is not None and facts is None:
            problems.append(Problem(where, f"its submission {sid} no longer exists"))
        expected = trail.event_hash(event_id, at, sid, event, detail, facts, prev_hash or "")
        if digest != expected:
            problems.append(
                Problem(
                    where,
                    "its hash does not match what it records: the event or its submission's "
                    "facts (key, file name, checksum, size, received time, submitter) were "
                    "changed",
                )
            )
        prev = digest or ""
    return problems


def _statuses(con: sqlite3.Connection) -> list[Problem]:
    problems: list[Problem] = []
    trails: dict[int, list[tuple[int, str, str]]] = {}
    for event_id, sid, event, detail in con.execute(
        "SELECT event_id, submission_id, event, detail FROM events "
        "WHERE submission_id IS NOT NULL ORDER BY event_id"
    ).fetchall():
        if event in trail.STATUS_EVENTS:
            trails.setdefault(sid, []).append((event_id, event, detail or ""))
    for sid, status, superseded_by in con.execute(
        "SELECT submission_id, status, superseded_by FROM submissions ORDER BY submission_id"
    ).fetchall():
        where = f"submission {sid}"
        state, by = None, None
        for event_id, event, detail in trails.get(sid, []):
            moved = trail.STATUS_EVENTS[event]
            if moved not in trail.TRANSITIONS.get(state, set()):
                problems.append(
                    Problem(where, f"event {event_id} moves it from {state} to {moved}")
                )
            state = moved
            if event == "superseded":
                found = re.search(r"by submission (\d+)", detail)
                by = int(found.group(1)) if found else None
        if state is None:
            problems.append(Problem(where, "it has no events in the audit trail"))
        elif state != status:
            problems.append(
                Problem(where, f"its status is {status} but its audit trail says {state}")
            )
        elif status == "superseded" and superseded_by != by:
            problems.append(
                Problem(
                    where,
                    f"it says it was superseded by {superseded_by} but its trail says {by}",
                )
            )
    return problems


def _store(inst: Installation, con: sqlite3.Connection) -> list[Problem]:
    problems: list[Problem] = []
    named = {
        r[0]
        for r in con.execute(
            "SELECT sha256 FROM submissions UNION SELECT sha256 FROM receipts"
        ).fetchall()
    }
    for digest in sorted(named):
        problem = store.check(inst.store, digest)
        if problem:
            problems.append(Problem(f"stored file {digest[:12]}", problem))
    for path in store.stored_files(inst.store):
        if path.name not in named and store.sha256_file(path) != path.name:
            problems.append(
                Problem(f"stored file {path.name[:12]}", f"{path} does not match its SHA-256")
            )
    return problems


def _anchors(con: sqlite3.Connection, backups: list[Path]) -> list[Problem]:
    """A chain recomputed from scratch is consistent in itself; a backup's manifest records
    where the trail ended then (event id and hash), which the registry must still hold."""
    import json

    problems: list[Problem] = []
    for backup in backups:
        try:
            head = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))[
                "audit_chain_head"
            ]
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(Problem(f"backup {backup}", "has no readable manifest"))
            continue
        if not head.get("event_id"):
            continue
        row = con.execute(
            "SELECT hash FROM events WHERE event_id = ?", (head["event_id"],)
        ).fetchone()
        where = f"event {head['event_id']}"
        if row is None:
            problems.append(
                Problem(where, f"the backup in {backup} ends at it, but it is gone: deleted")
            )
        elif row[0] != head["hash"]:
            problems.append(
                Problem(
                    where,
                    f"its hash differs from the one the backup in {backup} recorded: the trail "
                    "up to it was rewritten",
                )
            )
    return problems


def verify(inst: Installation, backups: list[Path] = ()) -> list[Problem]:
    """Every problem found in the installation's trail and store (empty: intact), and against
    the trail heads recorded by `backups` (backup directories), if any."""
    if not inst.registry.exists():
        return [Problem("registry", f"{inst.registry} does not exist")]
    con = sqlite3.connect(f"file:{inst.registry}?mode=ro", uri=True)
    try:
        return _chain(con) + _anchors(con, list(backups)) + _statuses(con) + _store(inst, con)
    finally:
        con.close()
