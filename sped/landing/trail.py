"""The audit trail's hash chain: each event carries the hash of the one before and of what it
records.

An event's hash covers its own fields (id, time, event, detail), the facts of its submission
that must never change (key, original name, landing path, SHA-256, size, received time,
submitter) and the previous event's hash. Editing, deleting or reordering an event, or editing
a submission's facts, therefore breaks the chain at a point `sped audit verify` names; a
changed status shows because the trail's status events no longer replay to it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

GENESIS = "0" * 64

#: The facts of a submission fixed when it was received; every event about it covers them.
SUBMISSION_FACTS = (
    "collection",
    "lea_id",
    "period",
    "original_name",
    "landing_path",
    "sha256",
    "size_bytes",
    "received_at",
    "submitter",
)

#: Events that move a submission's status, and the status each moves it to.
STATUS_EVENTS = {
    "received": "received",
    "accepted": "accepted",
    "rejected": "rejected",
    "superseded": "superseded",
}

#: Allowed moves between statuses (None: before the submission existed).
TRANSITIONS = {
    None: {"received"},
    "received": {"accepted", "rejected"},
    "accepted": {"superseded"},
}


def submission_facts(con: sqlite3.Connection, submission_id: int | None) -> dict | None:
    """The fixed facts of a submission as the registry holds them now (None: no submission)."""
    if submission_id is None:
        return None
    row = con.execute(
        f"SELECT {', '.join(SUBMISSION_FACTS)} FROM submissions WHERE submission_id = ?",
        (submission_id,),
    ).fetchone()
    return None if row is None else dict(zip(SUBMISSION_FACTS, tuple(row), strict=True))


def event_hash(
    event_id: int,
    at: str,
    submission_id: int | None,
    event: str,
    detail: str | None,
    facts: dict | None,
    prev_hash: str,
) -> str:
    """The hash of one event: its fields, its submission's facts and the previous hash."""
    payload = json.dumps(
        {
            "event_id": event_id,
            "at": at,
            "submission_id": submission_id,
            "event": event,
            "detail": detail,
            "submission": facts,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def last_hash(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT hash FROM events ORDER BY event_id DESC LIMIT 1").fetchone()
    return row[0] if row and row[0] else GENESIS


def append(
    con: sqlite3.Connection, at: str, submission_id: int | None, event: str, detail: str
) -> int:
    """Write one event chained to the last one (call inside the writer's transaction)."""
    prev = last_hash(con)
    cur = con.execute(
        "INSERT INTO events (at, submission_id, event, detail) VALUES (?, ?, ?, ?)",
        (at, submission_id, event, detail),
    )
    event_id = cur.lastrowid
    digest = event_hash(
        event_id, at, submission_id, event, detail, submission_facts(con, submission_id), prev
    )
    con.execute(
        "UPDATE events SET prev_hash = ?, hash = ? WHERE event_id = ?", (prev, digest, event_id)
    )
    return event_id


def migrate(con: sqlite3.Connection) -> int:
    """Give a registry written before the chain existed its hash columns, and chain its events
    from the first one. Returns how many events were chained (0 if already done)."""
    if "hash" in {r[1] for r in con.execute("PRAGMA table_info(events)").fetchall()}:
        return 0
    con.execute("BEGIN IMMEDIATE")
    try:
        columns = {r[1] for r in con.execute("PRAGMA table_info(events)").fetchall()}
        if "hash" in columns:  # another process migrated it meanwhile
            con.execute("COMMIT")
            return 0
        con.execute("ALTER TABLE events ADD COLUMN prev_hash TEXT")
        con.execute("ALTER TABLE events ADD COLUMN hash TEXT")
        prev = GENESIS
        rows = con.execute(
            "SELECT event_id, at, submission_id, event, detail FROM events ORDER BY event_id"
        ).fetchall()
        for event_id, at, sid, event, detail in rows:
            digest = event_hash(event_id, at, sid, event, detail, submission_facts(con, sid), prev)
            con.execute(
                "UPDATE events SET prev_hash = ?, hash = ? WHERE event_id = ?",
                (prev, digest, event_id),
            )
            prev = digest
        con.execute("COMMIT")
        return len(rows)
    except BaseException:
        con.execute("ROLLBACK")
        raise
