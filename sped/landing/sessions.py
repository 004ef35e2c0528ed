"""Web sessions kept on the server: one row per sign-in in the registry's `sessions` table.

The browser's cookie holds only a random session token (signed, with the form's CSRF token);
the registry keeps the token's SHA-256, the account, when the session started and when it
expires, and when and why it ended. A request is signed in only while its session's row is live,
so ending the row ends the session at once, wherever the cookie has been copied to: signing out
ends that session; a password change, disabling the account and an admin's "end all sessions"
(`sped accounts end-sessions`, `DELETE /api/v1/accounts/{account}/sessions`) end every session
of the account.

Rows are never deleted: an ended or expired session stays as a record of who was signed in
when, from where. Every start and end is an event of the audit trail recording the digest of the
account's sessions (sped/landing/trail.py `sessions_state`), so `sped audit verify` names a
session row inserted, revived, extended or deleted outside sped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_sha256 TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts (account),
    started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    source TEXT NOT NULL,
    ended_at TEXT,
    ended_why TEXT
);
CREATE INDEX IF NOT EXISTS sessions_live ON sessions (account) WHERE ended_at IS NULL;
"""

#: the longest a token may be (a cookie holding anything longer is not a session of ours)
MAX_TOKEN = 100


def ensure_schema(con: sqlite3.Connection) -> None:
    con.executescript(SCHEMA)


def _at(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start(con: sqlite3.Connection, account: str, *, source: str, hours: float) -> str:
    """A new session of `account` lasting `hours`; returns its token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    con.execute(
        "INSERT INTO sessions (session_sha256, account, started_at, expires_at, source) "
        "VALUES (?, ?, ?, ?, ?)",
        (_digest(token), account, _at(now), _at(now + dt.timedelta(hours=hours)), source),
    )
    return token


def live_account(con: sqlite3.Connection, token: str | None) -> str | None:
    """The account of a live session (not ended, not expired), or None."""
    if not token or not isinstance(token, str) or len(token) > MAX_TOKEN:
        return None
    row = con.execute(
        "SELECT account FROM sessions WHERE session_sha256 = ? AND ended_at IS NULL "
        "AND expires_at > ?",
        (_digest(token), _at(dt.datetime.now(dt.UTC))),
    ).fetchone()
    return row[0] if row else None


def end(con: sqlite3.Connection, token: str | None, why: str) -> str | None:
    """End one live session; the account it belonged to, or None when none was live."""
    account = live_account(con, token)
    if account is not None:
        con.execute(
            "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE session_sha256 = ?",
            (_at(dt.datetime.now(dt.UTC)), why, _digest(token or "")),
        )
    return account


def live_accounts(con: sqlite3.Connection, account: str | None) -> list[str]:
    """The accounts with a session not ended yet (only `account`, unless None): whose rows
    `end_all` changes."""
    where = "ended_at IS NULL" + (" AND account = ?" if account else "")
    rows = con.execute(
        f"SELECT DISTINCT account FROM sessions WHERE {where} ORDER BY 1",
        (account,) if account else (),
    ).fetchall()
    return [r[0] for r in rows]


def end_all(con: sqlite3.Connection, account: str | None, why: str) -> int:
    """End every live session of `account` (None: of every account); how many were live."""
    now = _at(dt.datetime.now(dt.UTC))
    where = "ended_at IS NULL AND expires_at > ?" + (" AND account = ?" if account else "")
    params: tuple = (now, account) if account else (now,)
    live = con.execute(f"SELECT count(*) FROM sessions WHERE {where}", params).fetchone()[0]
    con.execute(
        "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE ended_at IS NULL"
        + (" AND account = ?" if account else ""),
        (now, why, account) if account else (now, why),
    )
    return live
