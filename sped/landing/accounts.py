"""Who may send what, and how they prove who they are: accounts, their LEAs, passwords, API
tokens and the operating-system user the state channel is bound to.

docs/rules/contracts.md: "A district account may send only the district collections of the LEAs
it belongs to." Accounts live in the registry database beside the submissions, so the audit
trail and the rule that admits a file are in one place, and the web application signs people in
against the same rows.

Roles:
    state     state staff: any collection, any LEA (allocations and directories are theirs alone)
    district  district staff: the district collections of the LEAs they are members of
    auditor   reads reports, the audit trail and aggregates; sends nothing
An `admin` flag marks who may manage accounts.

Proof of identity:
- people sign in with a password (argon2id hash, salted; only the hash is stored); repeated
  failures lock the account for a while;
- systems send with an API token (`sped accounts token NAME`; only its SHA-256 is stored, the
  token itself is printed once; tokens are long random strings, so a fast hash is enough);
- the state channel (`sped pipeline` on a landing folder: `operator:<os user>`; the inbox
  sensor: `inbox:<os user>`) is a state account bound to an operating-system user. The label is
  accepted only when the process really runs as that user (its effective uid, not $USER) and an
  active state account is bound to it. On an installation with no binding yet, the first use
  binds the user who owns the registry file (the installation owner), and the audit trail says
  so. Any other submitter must be an active account, or the file is refused: its bytes and a
  receipt with the reason are kept, and nothing is loaded;
- state data (allocations, directories) from a landing folder is the state's only when the
  file itself is owned by the installation's owner or by an OS user bound to an active state
  account (`landing_refusal`): whoever else can write into the folder does not act as the
  state. Every receipt of a landing file records the uid that owned it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import pwd
import re
import secrets
import sqlite3
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sped.contracts import COLLECTIONS
from sped.landing import name_failures
from sped.landing.layout import DeclaredKey

ROLES = ("state", "district", "auditor")
STATE_CHANNELS = ("operator:", "inbox:")
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
#: what an LEA id may look like (the same as the dashboards' filter accepts)
LEA_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
OS_USER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$")
TOKEN_PREFIX = "sped_"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
#: consecutive failed sign-ins before the account is locked, and for how long
MAX_FAILURES = 5
LOCK_MINUTES = 15

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
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts (account),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""

#: columns added to `accounts` after its first version (added in place on older registries)
ADDED_COLUMNS = {
    "password_hash": "TEXT",
    "is_admin": "INTEGER NOT NULL DEFAULT 0",
    "os_user": "TEXT",
    "failed_signins": "INTEGER NOT NULL DEFAULT 0",
    "locked_until": "TEXT",
}

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash checked for a name without a password, so timing does not tell which names
    exist (made on first use: hashing costs 0.1 s, which every sped process paid at import)."""
    return _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


def ensure_schema(con: sqlite3.Connection) -> None:
    """Create the account tables, and add the newer columns to an older registry."""
    con.executescript(SCHEMA)
    name_failures.ensure_schema(con)
    have = {r[1] for r in con.execute("PRAGMA table_info(accounts)")}
    for column, decl in ADDED_COLUMNS.items():
        if column not in have:
            con.execute(f"ALTER TABLE accounts ADD COLUMN {column} {decl}")


def current_os_user() -> str:
    """The operating-system user this process runs as (effective uid; never $USER/$LOGNAME,
    which anyone can set)."""
    return pwd.getpwuid(os.geteuid()).pw_name


@dataclass(frozen=True)
class Account:
    account: str
    role: str
    display_name: str
    lea_ids: tuple[str, ...]
    disabled: bool
    is_admin: bool = False
    os_user: str | None = None
    has_password: bool = False

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

    def may_see_lea(self, lea_id: str) -> bool:
        """State and auditor accounts see every LEA; a district account only its own."""
        if self.disabled:
            return False
        return self.role != "district" or lea_id in self.lea_ids


def by_actor(actor: str) -> str:
    """ " by <actor>" for an audit event's detail, or nothing."""
    return f" by {actor}" if actor else ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(
            f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters, got {len(password)}"
        )


def _check_leas(role: str, lea_ids: list[str] | tuple[str, ...]) -> None:
    """A district account belongs to at least one LEA, other roles to none; ids well formed."""
    if role == "district" and not lea_ids:
        raise AccountError("a district account needs at least one LEA (--lea)")
    if role != "district" and lea_ids:
        raise AccountError(f"a {role} account is not a member of LEAs; leave out --lea")
    bad = [lea for lea in lea_ids if not LEA_ID.match(lea)]
    if bad:
        raise AccountError(f"not an LEA id: {', '.join(bad)}")


def add_account(
    con: sqlite3.Connection,
    account: str,
    role: str,
    lea_ids: list[str] | tuple[str, ...] = (),
    display_name: str = "",
    *,
    password: str | None = None,
    is_admin: bool = False,
    os_user: str | None = None,
) -> Account:
    """Create an account (district accounts need at least one LEA; only a state account may be
    bound to an operating-system user)."""
    if not ACCOUNT_NAME.match(account):
        raise AccountError(
            f"account name {account!r}: 2-64 characters, lower-case letters, digits and . _ @ -"
        )
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    _check_leas(role, lea_ids)
    if os_user is not None and (role != "state" or not OS_USER_NAME.match(os_user)):
        raise AccountError("only a state account is bound to an operating-system user name")
    if password is not None:
        _check_password(password)
    if con.execute("SELECT 1 FROM accounts WHERE account = ?", (account,)).fetchone():
        raise AccountError(f"account {account!r} already exists")
    con.execute(
        "INSERT INTO accounts (account, role, display_name, created_at, password_hash, "
        "is_admin, os_user) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            account,
            role,
            display_name,
            _now(),
            _hasher.hash(password) if password is not None else None,
            int(is_admin),
            os_user,
        ),
    )
    con.executemany(
        "INSERT OR IGNORE INTO memberships (account, lea_id) VALUES (?, ?)",
        [(account, lea) for lea in lea_ids],
    )
    found = get_account(con, account)
    assert found is not None
    return found


def _require(con: sqlite3.Connection, account: str) -> Account:
    found = get_account(con, account)
    if found is None:
        raise AccountError(f"no account {account!r}")
    return found


def disable_account(con: sqlite3.Connection, account: str) -> None:
    """Stop an account from signing in and sending files; its history stays, its tokens end."""
    _require(con, account)
    con.execute(
        "UPDATE accounts SET disabled_at = ? WHERE account = ? AND disabled_at IS NULL",
        (_now(), account),
    )
    revoke_tokens(con, account)


def set_leas(
    con: sqlite3.Connection, account: str, lea_ids: list[str] | tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Replace the LEAs a district account belongs to (the rules of `add_account`: a district
    account needs at least one LEA, other roles belong to none); the LEAs before and after."""
    found = _require(con, account)
    wanted = tuple(sorted(set(lea_ids)))
    if found.role != "district":
        raise AccountError(f"a {found.role} account is not a member of LEAs")
    _check_leas(found.role, wanted)
    con.execute("DELETE FROM memberships WHERE account = ?", (account,))
    con.executemany(
        "INSERT INTO memberships (account, lea_id) VALUES (?, ?)",
        [(account, lea) for lea in wanted],
    )
    return found.lea_ids, wanted


def set_password(con: sqlite3.Connection, account: str, password: str) -> None:
    """Replace an account's password (and lift a lock)."""
    _require(con, account)
    _check_password(password)
    con.execute(
        "UPDATE accounts SET password_hash = ?, failed_signins = 0, locked_until = NULL "
        "WHERE account = ?",
        (_hasher.hash(password), account),
    )


def check_password(
    con: sqlite3.Connection, account: str, password: str
) -> tuple[Account | None, str]:
    """(the account, "") when the password is right and the account may sign in, else (None,
    why). Failures are counted; MAX_FAILURES in a row lock the account for LOCK_MINUTES. The
    hash is checked even for an unknown name, so timing does not tell which names exist, and an
    unknown name's failures are counted and locked the same way (sped/landing/name_failures.py),
    a disabled account's too, so the answers do not tell either."""
    row = con.execute(
        "SELECT password_hash, failed_signins, locked_until, disabled_at FROM accounts "
        "WHERE account = ?",
        (account,),
    ).fetchone()
    stored = row[0] if row is not None and row[0] else _dummy_hash()
    try:
        right = _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        right = False
    if row is None or not row[0]:  # counted and locked like an account: no probing names
        return None, name_failures.failed(
            con, account, max_failures=MAX_FAILURES, lock_minutes=LOCK_MINUTES
        )
    now = _now()
    if row[2] and row[2] > now:
        return None, "locked"
    if not right:
        failures = row[1] + 1
        locked = failures >= MAX_FAILURES
        until = (
            (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=LOCK_MINUTES))
            .replace(tzinfo=None)
            .isoformat(timespec="seconds")
            if locked
            else None
        )
        con.execute(
            "UPDATE accounts SET failed_signins = ?, locked_until = ? WHERE account = ?",
            (0 if locked else failures, until, account),
        )
        return None, "locked after repeated failures" if locked else "wrong password"
    if row[3] is not None:  # after the count: a disabled account locks as any other name
        return None, "disabled"
    con.execute(
        "UPDATE accounts SET failed_signins = 0, locked_until = NULL WHERE account = ?",
        (account,),
    )
    if _hasher.check_needs_rehash(row[0]):
        con.execute(
            "UPDATE accounts SET password_hash = ? WHERE account = ?",
            (_hasher.hash(password), account),
        )
    return get_account(con, account), ""


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(con: sqlite3.Connection, account: str) -> str:
    """A new API token for the account; returned once, only its hash is kept."""
    found = _require(con, account)
    if found.disabled:
        raise AccountError(f"account {account!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO api_tokens (account, token_sha256, created_at) VALUES (?, ?, ?)",
        (account, _token_digest(token), _now()),
    )
    return token


def revoke_tokens(con: sqlite3.Connection, account: str) -> int:
    """Revoke every live token of the account; how many."""
    return con.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE account = ? AND revoked_at IS NULL",
        (_now(), account),
    ).rowcount


def account_for_token(con: sqlite3.Connection, token: str) -> Account | None:
    """The active account a live token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = con.execute(
        "SELECT account FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
        (_token_digest(token),),
    ).fetchone()
    found = get_account(con, row[0]) if row else None
    return found if found is not None and not found.disabled else None


def get_account(con: sqlite3.Connection, account: str) -> Account | None:
    row = con.execute(
        "SELECT account, role, display_name, disabled_at, is_admin, os_user, "
        "password_hash IS NOT NULL FROM accounts WHERE account = ?",
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
        is_admin=bool(row[4]),
        os_user=row[5],
        has_password=bool(row[6]),
    )


def list_accounts(con: sqlite3.Connection) -> list[Account]:
    names = [r[0] for r in con.execute("SELECT account FROM accounts ORDER BY account")]
    return [a for a in (get_account(con, n) for n in names) if a is not None]


def bound_state_account(con: sqlite3.Connection, os_user: str) -> Account | None:
    """The active state account bound to an operating-system user, if any."""
    row = con.execute(
        "SELECT account FROM accounts WHERE os_user = ? AND role = 'state' "
        "AND disabled_at IS NULL ORDER BY account LIMIT 1",
        (os_user,),
    ).fetchone()
    return get_account(con, row[0]) if row else None


def any_binding(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM accounts WHERE os_user IS NOT NULL").fetchone() is not None


def registry_owner(con: sqlite3.Connection) -> int | None:
    """The uid that owns the registry file (the installation owner), if it is a file."""
    for row in con.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return os.stat(row[2]).st_uid
    return None


def owner_account_name(os_user: str) -> str:
    """The name of the state account first bound to the installation owner."""
    name = re.sub(r"[^a-z0-9._-]", "-", os_user.lower()).strip("-.") or "owner"
    return f"state@{name}"[:64]


def channel_refusal(con: sqlite3.Connection, submitter: str, me: str) -> tuple[str | None, bool]:
    """For a state-channel submitter (`operator:<os user>`, `inbox:<os user>`): (why it is
    refused or None, whether the installation owner must be bound first)."""
    claimed = submitter.split(":", 1)[1]
    if claimed != me:
        return (
            f"{submitter!r} is not this process's operating-system user ({me}): the state "
            "channel is authorised by who runs the command, not by a name",
            False,
        )
    if bound_state_account(con, me) is not None:
        return None, False
    if not any_binding(con) and registry_owner(con) in (os.geteuid(), None):
        return None, True
    return (
        f"operating-system user {me!r} is not bound to an active state account of this "
        "installation (an admin binds one: sped accounts add NAME --role state --os-user USER)",
        False,
    )


def ensure_receipt_owner(con: sqlite3.Connection) -> None:
    """Receipts record the uid owning a landing file (added in place on older registries)."""
    if "file_uid" not in {r[1] for r in con.execute("PRAGMA table_info(receipts)")}:
        con.execute("ALTER TABLE receipts ADD COLUMN file_uid INTEGER")


def _os_user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def landing_refusal(
    con: sqlite3.Connection, key: DeclaredKey | None, uid: int | None
) -> str | None:
    """Why a file taken from a landing folder (owned by `uid`) may not be a state collection's
    file, or None. State data (allocations, directories) is taken only from the state channel:
    a landing file counts as the state's only when the installation's owner (who owns the
    registry) or an operating-system user bound to an active state account owns it; whoever
    else can write into the landing folder does not act as the state."""
    if uid is None or key is None or COLLECTIONS[key.collection].submitted_by != "state":
        return None
    if uid == registry_owner(con):
        return None
    name = _os_user_name(uid)
    if bound_state_account(con, name) is not None:
        return None
    return (
        f"{key.collection} is state data, taken from the landing folder only when the "
        f"installation's owner or an operating-system user bound to a state account owns the "
        f"file; this file belongs to {name}. Send it through the portal or API with a state "
        "account, or have the installation's owner put it in place as a new file"
    )


def submit_refusal(con: sqlite3.Connection, submitter: str, key: DeclaredKey) -> str | None:
    """Why an ordinary (non-channel) `submitter` may not send a file for `key`, or None."""
    account = get_account(con, submitter)
    if account is None:
        return f"{submitter!r} is not an account of this system"
    return account.refusal(key)
