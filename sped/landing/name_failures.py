"""Failed sign-ins under names that are not accounts (or have no password), counted and locked
exactly as an account's are, so the answers never tell which names exist.

An account's failures are kept on its row (sped/landing/accounts.py: MAX_FAILURES in a row lock
it for LOCK_MINUTES); a name without an account gets a row here and the same lock, and the
sign-in page says "locked" for it after the same number of failures. Growth is bounded by the
per-address pause of the sign-in page (sped/web/routes/signin.py). A row holds the SHA-256 of
the name typed, not the name (people type a password into the name box by mistake).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS signin_name_failures (
    name_sha256 TEXT PRIMARY KEY,
    failed_signins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
"""


def ensure_schema(con: sqlite3.Connection) -> None:
    con.executescript(SCHEMA)


def failed(con: sqlite3.Connection, name: str, *, max_failures: int, lock_minutes: int) -> str:
    """Count one failed sign-in under `name` (not an account); why, in the words an account's
    failure would get: "locked", "locked after repeated failures", or "unknown account or no
    password"."""
    key = hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = con.execute(
        "SELECT failed_signins, locked_until FROM signin_name_failures WHERE name_sha256 = ?",
        (key,),
    ).fetchone()
    if row is not None and row[1] and row[1] > now.isoformat(timespec="seconds"):
        return "locked"
    failures = (row[0] if row is not None else 0) + 1
    locked = failures >= max_failures
    until = (
        (now + dt.timedelta(minutes=lock_minutes)).isoformat(timespec="seconds") if locked else None
    )
    con.execute(
        "INSERT INTO signin_name_failures (name_sha256, failed_signins, locked_until) "
        "VALUES (?, ?, ?) ON CONFLICT (name_sha256) DO UPDATE SET "
        "failed_signins = excluded.failed_signins, locked_until = excluded.locked_until",
        (key, 0 if locked else failures, until),
    )
    return "locked after repeated failures" if locked else "unknown account or no password"
