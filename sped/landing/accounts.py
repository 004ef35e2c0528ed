"""Who may send what: the accounts that submit files and the LEAs each district account belongs to.

docs/rules/contracts.md: "A district account may send only the district collections of the LEAs
it belongs to." Accounts live in the registry database beside the submissions, so the audit
trail and the rule that admits a file
are in one place, and the web portal signs people in against the same rows.

Roles:
    state     state staff: any collection, any LEA (allocations and directories are theirs alone)
    district  district staff: the district collections of the LEAs they are members of
    auditor   reads reports; sends nothing

A submitter written `operator:<login>` (the state operator who runs `sped pipeline` on a landing
folder) or `inbox:<login>` (the inbox sensor) sends through a channel only the state controls and
is treated as a state account. Any other submitter must be an active account, or the file is
refused: its bytes and a receipt with the reason are kept, and nothing is loaded.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass

from sped.contracts import COLLECTIONS
from sped.landing.layout import DeclaredKey

ROLES = ("state", "district", "auditor")
STATE_CHANNELS = ("operator:", "inbox:")
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('state', 'district', 'auditor')),
    display_name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS memberships (
    account TEXT NOT NULL REFERENCES accounts (account),
    lea_id TEXT NOT NULL,
    PRIMARY KEY (account, lea_id)
);
"""


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


@dataclass(frozen=True)
class Account:
    account: str
    role: str
    display_name: str
    lea_ids: tuple[str, ...]
    disabled: bool

    def refusal(self, key: DeclaredKey) -> str | None:
        """Why this account may not submit a file for `key`, or None when it may."""
        if self.disabled:
            return f"account {self.account!r} is disabled"
        if self.role == "state":
            return None
        if self.role != "district":
            return f"account {self.account!r} ({self.role}) does not submit files"
        if key.lea_id is None or not COLLECTIONS[key.collection].lea_scoped:
            return (
                f"{key.collection} files are loaded by the state; account {self.account!r} "
                "is a district account"
            )
        if key.lea_id not in self.lea_ids:
            belongs = ", ".join(self.lea_ids) or "no LEA"
            return (
                f"account {self.account!r} belongs to {belongs}, not to LEA {key.lea_id}: a "
                "district account may send only for the LEAs it belongs to "
                "(docs/rules/contracts.md, conventions)"
            )
        return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def add_account(
    con: sqlite3.Connection,
    account: str,
    role: str,
    lea_ids: list[str] | tuple[str, ...] = (),
    display_name: str = "",
) -> Account:
    """Create an account (district accounts need at least one LEA)."""
    if not ACCOUNT_NAME.match(account):
        raise AccountError(
            f"account name {account!r}: 2-64 characters, lower-case letters, digits and . _ @ -"
        )
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == "district" and not lea_ids:
        raise AccountError("a district account needs at least one LEA (--lea)")
    if role != "district" and lea_ids:
        raise AccountError(f"a {role} account is not a member of LEAs; leave out --lea")
    if con.execute("SELECT 1 FROM accounts WHERE account = ?", (account,)).fetchone():
        raise AccountError(f"account {account!r} already exists")
    con.execute(
        "INSERT INTO accounts (account, role, display_name, created_at) VALUES (?, ?, ?, ?)",
        (account, role, display_name, _now()),
    )
    con.executemany(
        "INSERT OR IGNORE INTO memberships (account, lea_id) VALUES (?, ?)",
        [(account, lea) for lea in lea_ids],
    )
    found = get_account(con, account)
    assert found is not None
    return found


def disable_account(con: sqlite3.Connection, account: str) -> None:
    """Stop an account from sending files; its history stays."""
    cur = con.execute(
        "UPDATE accounts SET disabled_at = ? WHERE account = ? AND disabled_at IS NULL",
        (_now(), account),
    )
    if cur.rowcount == 0 and get_account(con, account) is None:
        raise AccountError(f"no account {account!r}")


def get_account(con: sqlite3.Connection, account: str) -> Account | None:
    row = con.execute(
        "SELECT account, role, display_name, disabled_at FROM accounts WHERE account = ?",
        (account,),
    ).fetchone()
    if row is None:
        return None
    leas = con.execute(
        "SELECT lea_id FROM memberships WHERE account = ? ORDER BY lea_id", (account,)
    ).fetchall()
    return Account(
        account=row[0],
        role=row[1],
        display_name=row[2],
        lea_ids=tuple(r[0] for r in leas),
        disabled=row[3] is not None,
    )


def list_accounts(con: sqlite3.Connection) -> list[Account]:
    names = [r[0] for r in con.execute("SELECT account FROM accounts ORDER BY account")]
    return [a for a in (get_account(con, n) for n in names) if a is not None]


def submit_refusal(con: sqlite3.Connection, submitter: str, key: DeclaredKey) -> str | None:
    """Why `submitter` may not send a file for `key`, or None when it may."""
    if submitter.startswith(STATE_CHANNELS):
        return None
    account = get_account(con, submitter)
    if account is None:
        return f"{submitter!r} is not an account of this system"
    return account.refusal(key)
