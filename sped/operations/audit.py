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
   no other file in the store is damaged;
4. the receipts' own chain (each receipt covers the one before), and that the receipt the last
   event saw as the newest is still there;
5. what decides who may do what and what is in force, against the state the latest event about
   it recorded (sped/landing/trail.py): each submission's status, counts, findings and loaded
   rows' digest; each account's role, admin flag, OS user, password hash, LEAs and tokens (an
   account no event recorded was inserted by hand); each account's web sessions (a session row
   no event recorded was inserted by hand: it would sign its token's holder in);
6. the warehouse: each raw table's rows per submission (count and digest) against the
   registry's count and the digest recorded when it was decided, and no rows of a submission
   not in force; each published table's digest against the one its publication recorded
   (sped/warehouse/digests.py). A warehouse a run holds open is not read. A snapshot a
   publication has put in place and not yet recorded (sped/warehouse/publication_pending.py)
   is not reported while that run goes on, and is reported as an interrupted publication, not
   as tables changed outside sped, once no run does.

A hash chain recomputed from scratch by someone who can write the registry is consistent in
itself; against that, `--backup DIR` also checks that the trail still holds, unchanged, the
event a backup's manifest says the trail ended at. It reads the registry through SQLite's
read-only mode and changes nothing.
"""

from __future__ import annotations

import contextlib
import json
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
    state = "state" if "state" in columns else "NULL"
    rows = con.execute(
        f"SELECT event_id, at, submission_id, event, detail, prev_hash, hash, {state} "
        "FROM events ORDER BY event_id"
    ).fetchall()
    for event_id, at, sid, event, detail, prev_hash, digest, recorded in rows:
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
        expected = trail.event_hash(
            event_id, at, sid, event, detail, facts, prev_hash or "", recorded
        )
        if digest != expected:
            problems.append(
                Problem(
                    where,
                    "its hash does not match what it records: the event, the state it "
                    "recorded or its submission's facts (key, file name, checksum, size, "
                    "received time, submitter) were changed",
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


def _receipts(con: sqlite3.Connection) -> list[Problem]:
    columns = {r[1] for r in con.execute("PRAGMA table_info(receipts)").fetchall()}
    if "hash" not in columns:
        return [Problem("receipts", "are not chained yet (opening the registry with sped does)")]
    problems: list[Problem] = []
    prev = trail.GENESIS
    fields = ", ".join(trail.RECEIPT_FIELDS)
    for row in con.execute(
        f"SELECT {fields}, prev_hash, hash FROM receipts ORDER BY receipt_id"
    ).fetchall():
        values = dict(zip(trail.RECEIPT_FIELDS, row[:-2], strict=True))
        prev_hash, digest = row[-2], row[-1]
        where = f"receipt {values['receipt_id']}"
        if prev_hash != prev:
            problems.append(
                Problem(
                    where,
                    "it does not follow the receipt before it: a receipt was "
                    "deleted or inserted before it",
                )
            )
        if digest != trail.receipt_hash(values, prev_hash or ""):
            problems.append(
                Problem(
                    where,
                    "its hash does not match what it records: it was changed, or inserted by hand",
                )
            )
        prev = digest or ""
    return problems


def _recorded(con: sqlite3.Connection) -> tuple[dict[str, tuple[int, str]], dict, int]:
    """The latest digest each scope's events recorded, with the event's id; the marts of the
    latest publication; the id of the latest event."""
    latest: dict[str, tuple[int, str]] = {}
    published: dict[str, str] = {}
    last = 0
    columns = {r[1] for r in con.execute("PRAGMA table_info(events)").fetchall()}
    if "state" not in columns:
        return latest, published, last
    for event_id, event, state in con.execute(
        "SELECT event_id, event, state FROM events ORDER BY event_id"
    ).fetchall():
        last = event_id
        if not state:
            continue
        try:
            recorded = json.loads(state)
        except ValueError:
            continue  # the chain names the event whose state was changed
        for scope, digest in recorded.items():
            latest[scope] = (event_id, digest)
        if event == "published":
            published = {k[5:]: v for k, v in recorded.items() if k.startswith("mart:")}
    return latest, published, last


def _in_force(con: sqlite3.Connection, latest: dict[str, tuple[int, str]]) -> list[Problem]:
    """Each submission and account against the state its latest event recorded."""
    if not latest:
        return []
    problems: list[Problem] = []
    head = latest.get("receipts")
    if (
        head
        and head[1] != trail.GENESIS
        and not con.execute("SELECT 1 FROM receipts WHERE hash = ?", (head[1],)).fetchone()
    ):
        problems.append(
            Problem(
                "receipts",
                f"the newest receipt when event {head[0]} was written is "
                "gone: receipts were deleted",
            )
        )
    for (sid,) in con.execute("SELECT submission_id FROM submissions ORDER BY 1").fetchall():
        seen = latest.get(f"submission:{sid}")
        if seen is None:
            continue  # "it has no events in the audit trail" (_statuses)
        if trail.submission_state(con, sid) != seen[1]:
            problems.append(
                Problem(
                    f"submission {sid}",
                    "its status, counts, findings or loaded rows' digest differ from what "
                    f"event {seen[0]} recorded: changed outside sped",
                )
            )
    accounts = [r[0] for r in con.execute("SELECT account FROM accounts ORDER BY 1").fetchall()]
    for name in accounts:
        seen = latest.get(f"account:{name}")
        if seen is None:
            problems.append(
                Problem(f"account {name}", "no event records it: it was inserted by hand")
            )
        elif trail.account_state(con, name) != seen[1]:
            problems.append(
                Problem(
                    f"account {name}",
                    "its role, admin flag, OS user, password, LEAs or tokens differ from what "
                    f"event {seen[0]} recorded: changed outside sped",
                )
            )
    for scope, (event_id, digest) in latest.items():
        name = scope.partition(":")[2]
        gone = scope.startswith("account:") and name not in accounts
        if gone and digest != trail.account_state(con, name):
            problems.append(
                Problem(
                    f"account {name}",
                    f"recorded by event {event_id}, it is gone: deleted by hand",
                )
            )
    return problems


def _sessions(con: sqlite3.Connection, latest: dict[str, tuple[int, str]]) -> list[Problem]:
    """Each account's web sessions against the digest the latest event that started or ended
    one recorded (sped/landing/sessions.py)."""
    if not trail._has_table(con, "sessions"):
        return []
    problems: list[Problem] = []
    held = [r[0] for r in con.execute("SELECT DISTINCT account FROM sessions ORDER BY 1")]
    recorded = sorted(k.partition(":")[2] for k in latest if k.startswith("sessions:"))
    for name in sorted(set(held) | set(recorded)):
        seen = latest.get(f"sessions:{name}")
        if seen is None:
            problems.append(
                Problem(f"sessions of {name}", "no event records them: inserted by hand")
            )
        elif trail.sessions_state(con, name) != seen[1]:
            problems.append(
                Problem(
                    f"sessions of {name}",
                    "a session was inserted, revived, extended or deleted since event "
                    f"{seen[0]} recorded them: changed outside sped",
                )
            )
    return problems


def _warehouse(inst: Installation, con: sqlite3.Connection, published: dict) -> list[Problem]:
    """Raw rows against the registry; published tables against their publication."""
    import duckdb

    from sped.contracts import COLLECTIONS
    from sped.landing.registry import last_publication
    from sped.run.run_lock import current_holder
    from sped.warehouse import digests, publication_pending
    from sped.warehouse.digests import mart_digests_like, submission_digests, version_of

    problems: list[Problem] = []
    in_force = dict(
        con.execute(
            "SELECT submission_id, row_count FROM submissions WHERE status = 'accepted'"
        ).fetchall()
    )
    collection_of = dict(
        con.execute("SELECT submission_id, collection FROM submissions").fetchall()
    )
    loaded = {
        r[0]: (r[1], r[2])
        for r in con.execute("SELECT submission_id, row_count, digest FROM loaded_rows")
    } if trail._has_table(con, "loaded_rows") else {}  # fmt: skip
    if inst.warehouse.exists():
        try:
            wh = duckdb.connect(str(inst.warehouse), read_only=True)
        except duckdb.Error:
            wh = None  # held by a run: not read now
        if wh is not None:
            try:
                tables = {
                    r[0]
                    for r in wh.execute(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'raw'"
                    ).fetchall()
                }
                for name in COLLECTIONS:
                    if name not in tables:
                        continue
                    # each submission's rows digested as its recorded digest was made
                    current = digests.CURRENT
                    versions = {
                        sid: version_of(loaded[sid][1]) if sid in loaded else current
                        for sid, collection in collection_of.items()
                        if collection == name
                    }
                    made = {
                        v: submission_digests(wh, "raw", name, v)
                        for v in sorted(set(versions.values()) or {current})
                    }
                    first = next(iter(made.values()))  # every version holds the same ids
                    held = {
                        sid: made[versions[sid]][sid] if sid in versions else first[sid]
                        for sid in first
                    }
                    problems += _raw_rows(name, held, in_force, collection_of, loaded)
            finally:
                wh.close()
    if published and inst.published_warehouse.exists():
        pub = duckdb.connect(str(inst.published_warehouse), read_only=True)
        try:
            now = mart_digests_like(pub, published)
        finally:
            pub.close()
        if now != published:  # a publication recorded since verify began?
            with contextlib.suppress(ValueError):  # its state edited: the chain names it
                published = last_publication(con) or published
        if now != published and publication_pending.is_noted(con, inst.published_warehouse):
            # the snapshot a publication put in place before recording its digests
            if current_holder(inst.root) is not None:
                return problems  # publishing now: its digests are being made
            return [
                *problems,
                Problem(
                    "published snapshot",
                    "a publication put it in place and was interrupted before it recorded its "
                    "tables' digests, so they cannot be checked; the next run publishes again",
                ),
            ]
        for table in sorted(set(published) | set(now)):
            if published.get(table) != now.get(table):
                what = (
                    "it was not published"
                    if table not in published
                    else "it is gone"
                    if table not in now
                    else "its rows differ from those its publication recorded"
                )
                problems.append(
                    Problem(f"published table {table}", f"{what}: changed outside sped")
                )
    return problems


def _raw_rows(name, held, in_force, collection_of, loaded) -> list[Problem]:
    problems: list[Problem] = []
    for sid, (n, digest) in sorted(held.items()):
        where = f"submission {sid}"
        if sid not in in_force:
            problems.append(
                Problem(where, f"raw.{name} holds {n} rows of it, but it is not in force")
            )
            continue
        if in_force[sid] is not None and n != in_force[sid]:
            problems.append(
                Problem(
                    where, f"raw.{name} holds {n} rows of it; the registry says {in_force[sid]}"
                )
            )
        elif sid in loaded and loaded[sid][1] != digest:
            problems.append(
                Problem(
                    where,
                    f"its rows in raw.{name} differ from the rows it loaded "
                    "(their digest, recorded when it was decided): a value was changed "
                    "in the warehouse",
                )
            )
    for sid, count in sorted(in_force.items()):
        if collection_of.get(sid) == name and count and sid not in held:
            problems.append(
                Problem(f"submission {sid}", f"its {count} rows are missing from raw.{name}")
            )
    return problems


def verify(inst: Installation, backups: list[Path] = ()) -> list[Problem]:
    """Every problem found in the installation's trail and store (empty: intact), and against
    the trail heads recorded by `backups` (backup directories), if any."""
    if not inst.registry.exists():
        return [Problem("registry", f"{inst.registry} does not exist")]
    con = sqlite3.connect(f"file:{inst.registry}?mode=ro", uri=True)
    try:
        latest, published, _ = _recorded(con)
        return (
            _chain(con)
            + _anchors(con, list(backups))
            + _statuses(con)
            + _store(inst, con)
            + _receipts(con)
            + _in_force(con, latest)
            + _sessions(con, latest)
            + _warehouse(inst, con, published)
        )
    finally:
        con.close()
