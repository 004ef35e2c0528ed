"""The audit trail's hash chain: each event carries the hash of the one before and of what it
records.

An event's hash covers its own fields (id, time, event, detail), the facts of its submission
that must never change (key, original name, landing path, SHA-256, size, received time,
submitter) and the previous event's hash. Editing, deleting or reordering an event, or editing
a submission's facts, therefore breaks the chain at a point `sped audit verify` names; a
changed status shows because the trail's status events no longer replay to it.

An event also records, in `state`, digests of what it leaves in force (covered by its hash):
- `submission:<id>`: the submission's status, counts and supersession, every finding of it
  and the digest of the rows it loaded (`loaded_rows`), on every event about a submission;
- `account:<name>`: the account's role, admin flag, operating-system user, password hash and
  being disabled, its LEA memberships and its API tokens (created, revoked), on every event
  about an account;
- `sessions:<name>`: the account's web sessions (each one's token hash, start, expiry, source
  and end), on every event that starts or ends one (`session_started`, `signed_out`,
  `sessions_ended`): a session row inserted, revived or extended by hand would sign someone in
  as the account, so it shows like an edited account;
- `receipts`: the last receipt's hash. Receipts are chained among themselves as they are
  written (`seal_receipt`), so an edited, deleted or inserted receipt breaks that chain;
- `mart:<schema.table>`: each published mart's digest, on the `published` event.
`sped audit verify` recomputes each from the rows and compares it with the latest event that
recorded it: what was changed outside sped since then shows, named.
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
    state: str | None = None,
) -> str:
    """The hash of one event: its fields, its submission's facts, the state it recorded (events
    written before states were recorded have none, and their hashes stay as they were) and the
    previous hash."""
    fields = {
        "event_id": event_id,
        "at": at,
        "submission_id": submission_id,
        "event": event,
        "detail": detail,
        "submission": facts,
        "prev": prev_hash,
    }
    if state is not None:
        fields["state"] = state
    payload = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def last_hash(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT hash FROM events ORDER BY event_id DESC LIMIT 1").fetchone()
    return row[0] if row and row[0] else GENESIS


def append(
    con: sqlite3.Connection,
    at: str,
    submission_id: int | None,
    event: str,
    detail: str,
    *,
    account: str | None = None,
    extra: dict[str, str] | None = None,
) -> int:
    """Write one event chained to the last one, recording the state it leaves for its submission
    and `account` (and any `extra` digests), after the change it records and inside the
    writer's transaction."""
    prev = last_hash(con)
    state = json.dumps(
        record_state(con, submission_id, account, extra), sort_keys=True, separators=(",", ":")
    )
    cur = con.execute(
        "INSERT INTO events (at, submission_id, event, detail, state) VALUES (?, ?, ?, ?, ?)",
        (at, submission_id, event, detail, state),
    )
    event_id = cur.lastrowid
    digest = event_hash(
        event_id, at, submission_id, event, detail, submission_facts(con, submission_id), prev,
        state,
    )  # fmt: skip
    con.execute(
        "UPDATE events SET prev_hash = ?, hash = ? WHERE event_id = ?", (prev, digest, event_id)
    )
    return event_id


# --- the state an event records ---------------------------------------------------------------

#: The columns of a submission that change when it is decided or superseded.
SUBMISSION_STATE = (
    "status",
    "error_count",
    "warning_count",
    "row_count",
    "validated_at",
    "superseded_by",
)
#: Columns of an account that do not decide who may do what (failures counted, a lock's end):
#: written on every sign-in attempt, left out of its digest.
ACCOUNT_VOLATILE = frozenset({"failed_signins", "locked_until"})
RECEIPT_FIELDS = (
    "receipt_id",
    "received_at",
    "submitter",
    "original_name",
    "landing_path",
    "sha256",
    "size_bytes",
    "submission_id",
    "outcome",
    "detail",
)
LOADED_ROWS_SCHEMA = """CREATE TABLE IF NOT EXISTS loaded_rows (
    submission_id INTEGER PRIMARY KEY,
    row_count INTEGER NOT NULL,
    digest TEXT NOT NULL
)"""


def canonical_digest(value) -> str:
    """SHA-256 of a value's canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _rows(con: sqlite3.Connection, sql: str, args: tuple = ()) -> list[dict]:
    """Rows as dicts without their empty (NULL) columns: a column added by a later version
    with no value leaves every digest as it was."""
    cur = con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [
        {k: v for k, v in zip(names, tuple(row), strict=True) if v is not None}
        for row in cur.fetchall()
    ]


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
    )


def submission_state(con: sqlite3.Connection, submission_id: int) -> str:
    """Digest of what deciding a submission wrote: status, counts, findings, loaded rows."""
    found = _rows(
        con,
        f"SELECT {', '.join(SUBMISSION_STATE)} FROM submissions WHERE submission_id = ?",
        (submission_id,),
    )
    findings = _rows(
        con, "SELECT * FROM findings WHERE submission_id = ? ORDER BY rule_id", (submission_id,)
    )
    decided = bool(found) and found[0].get("status") != "received"
    loaded = (  # kept just before the outcome, and recorded by the outcome's event
        _rows(con, "SELECT * FROM loaded_rows WHERE submission_id = ?", (submission_id,))
        if decided and _has_table(con, "loaded_rows")
        else []
    )
    return canonical_digest({"submission": found, "findings": findings, "loaded_rows": loaded})


def account_state(con: sqlite3.Connection, account: str) -> str:
    """Digest of what decides what an account may do: its row (but the sign-in counters), its
    LEAs and its API tokens."""
    rows = [
        {k: v for k, v in row.items() if k not in ACCOUNT_VOLATILE}
        for row in _rows(con, "SELECT * FROM accounts WHERE account = ?", (account,))
    ]
    leas = _rows(
        con, "SELECT lea_id FROM memberships WHERE account = ? ORDER BY lea_id", (account,)
    )
    tokens = _rows(con, "SELECT * FROM api_tokens WHERE account = ? ORDER BY token_id", (account,))
    return canonical_digest({"account": rows, "leas": leas, "tokens": tokens})


def sessions_state(con: sqlite3.Connection, account: str) -> str:
    """Digest of an account's web sessions (sped/landing/sessions.py): every row, ended or not."""
    rows = _rows(
        con, "SELECT * FROM sessions WHERE account = ? ORDER BY session_sha256", (account,)
    )
    return canonical_digest({"sessions": rows})


def sessions_scopes(con: sqlite3.Connection, accounts: list[str]) -> dict[str, str]:
    """The `sessions:<name>` digests of `accounts`, for an event that changed their sessions."""
    return {f"sessions:{name}": sessions_state(con, name) for name in accounts}


def receipt_hash(fields: dict, prev_hash: str) -> str:
    return canonical_digest({"receipt": fields, "prev": prev_hash})


def receipts_head(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT hash FROM receipts ORDER BY receipt_id DESC LIMIT 1").fetchone()
    return row[0] if row and row[0] else GENESIS


def seal_receipt(con: sqlite3.Connection, receipt_id: int) -> None:
    """Chain a receipt just written to the one before it (inside the writer's transaction)."""
    prev = con.execute(
        "SELECT hash FROM receipts WHERE receipt_id < ? ORDER BY receipt_id DESC LIMIT 1",
        (receipt_id,),
    ).fetchone()
    prev_hash = prev[0] if prev and prev[0] else GENESIS
    row = con.execute(
        f"SELECT {', '.join(RECEIPT_FIELDS)} FROM receipts WHERE receipt_id = ?", (receipt_id,)
    ).fetchone()
    fields = dict(zip(RECEIPT_FIELDS, tuple(row), strict=True))
    con.execute(
        "UPDATE receipts SET prev_hash = ?, hash = ? WHERE receipt_id = ?",
        (prev_hash, receipt_hash(fields, prev_hash), receipt_id),
    )


def record_state(
    con: sqlite3.Connection,
    submission_id: int | None,
    account: str | None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The digests an event records: the receipts' head, its submission's and its account's
    state, and `extra` (e.g. the marts a publication made)."""
    state = {"receipts": receipts_head(con)}
    if submission_id is not None:
        state[f"submission:{submission_id}"] = submission_state(con, submission_id)
    if account is not None:
        state[f"account:{account}"] = account_state(con, account)
    state.update(extra or {})
    return state


def migrate_state(con: sqlite3.Connection, at: str) -> bool:
    """Give a registry written before events recorded state its columns (events.state,
    receipts' chain, loaded_rows), chain its receipts, and seal what is in force now with one
    `state_sealed` event. Returns whether anything was done."""
    con.execute(LOADED_ROWS_SCHEMA)
    have = {r[1] for r in con.execute("PRAGMA table_info(events)").fetchall()}
    if "state" in have:
        return False
    con.execute("BEGIN IMMEDIATE")
    try:
        if "state" in {r[1] for r in con.execute("PRAGMA table_info(events)").fetchall()}:
            con.execute("COMMIT")  # another process did it meanwhile
            return False
        con.execute("ALTER TABLE events ADD COLUMN state TEXT")
        con.execute("ALTER TABLE receipts ADD COLUMN prev_hash TEXT")
        con.execute("ALTER TABLE receipts ADD COLUMN hash TEXT")
        for (receipt_id,) in con.execute(
            "SELECT receipt_id FROM receipts ORDER BY receipt_id"
        ).fetchall():
            seal_receipt(con, receipt_id)
        sids = [r[0] for r in con.execute("SELECT submission_id FROM submissions").fetchall()]
        names = [r[0] for r in con.execute("SELECT account FROM accounts").fetchall()]
        if sids or names:
            extra = {f"submission:{sid}": submission_state(con, sid) for sid in sids}
            extra |= {f"account:{name}": account_state(con, name) for name in names}
            append(con, at, None, "state_sealed",
                   f"{len(sids)} submissions and {len(names)} accounts as they stand, "
                   "sealed when the trail began recording state", extra=extra)  # fmt: skip
        con.execute("COMMIT")
        return True
    except BaseException:
        con.execute("ROLLBACK")
        raise


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
        state = "state" if "state" in columns else "NULL"
        rows = con.execute(
            f"SELECT event_id, at, submission_id, event, detail, {state} FROM events "
            "ORDER BY event_id"
        ).fetchall()
        for event_id, at, sid, event, detail, recorded in rows:
            digest = event_hash(
                event_id, at, sid, event, detail, submission_facts(con, sid), prev, recorded
            )
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
