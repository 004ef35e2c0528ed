"""The submission registry (SQLite beside the warehouse): every receipt, submission and finding.

Nothing here is ever deleted. A receipt is written for every file received, including exact
re-sends (recognised by checksum) and files whose place in the landing layout says nothing.
A submission's status moves `received` -> `accepted` | `rejected`, and `accepted` ->
`superseded` when a submission for the same key received later is accepted. The submission in
force for a key is its accepted one received last: by its received time (when the file reached
the state), then by submission id (`received_order`), never by the order files were read in.
Every change of status is also written to `events`, the audit trail, each event chained to the
one before by its hash (sped/landing/trail.py); a registry written before the chain existed is
given one when first opened.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sped.contracts.findings import Finding
from sped.landing import accounts, registry_guard, sessions, store, trail, upload_checks
from sped.landing.accounts import AccountError
from sped.landing.layout import DeclaredKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    submission_id INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    lea_id TEXT,
    period TEXT NOT NULL,
    original_name TEXT NOT NULL,
    landing_path TEXT,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    submitter TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'received',
    error_count INTEGER,
    warning_count INTEGER,
    row_count INTEGER,
    validated_at TEXT,
    superseded_by INTEGER
);
CREATE INDEX IF NOT EXISTS submissions_key ON submissions (collection, lea_id, period);
CREATE INDEX IF NOT EXISTS submissions_status ON submissions (status);
CREATE TABLE IF NOT EXISTS receipts (
    receipt_id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    submitter TEXT NOT NULL,
    original_name TEXT NOT NULL,
    landing_path TEXT,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    submission_id INTEGER,
    outcome TEXT NOT NULL,
    detail TEXT,
    file_uid INTEGER
);
CREATE TABLE IF NOT EXISTS findings (
    submission_id INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    column_name TEXT,
    failed_count INTEGER NOT NULL,
    sample_rows TEXT NOT NULL,
    sample_values TEXT NOT NULL,
    text TEXT NOT NULL,
    reference TEXT NOT NULL,
    PRIMARY KEY (submission_id, rule_id)
);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    submission_id INTEGER,
    event TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT,
    hash TEXT
);
"""

#: Events that change the data in force for a key: a decision, or the warehouse repaired from
#: the stored files (sped/ingest/reconcile.py).
DATA_EVENTS = ("accepted", "superseded", "reloaded", "unloaded")

SUBMISSION_FIELDS = (
    "submission_id",
    "collection",
    "lea_id",
    "period",
    "original_name",
    "landing_path",
    "sha256",
    "size_bytes",
    "received_at",
    "submitter",
    "status",
    "error_count",
    "warning_count",
    "row_count",
    "validated_at",
    "superseded_by",
)


def received_order(received_at: str, submission_id: int) -> tuple[dt.datetime, int]:
    """Which of a key's accepted submissions is in force: the one received last (its received
    time, UTC), then the higher id."""
    return dt.datetime.fromisoformat(received_at), submission_id


def last_publication(con: sqlite3.Connection) -> dict[str, str] | None:
    """{schema.table: digest} of the latest `published` event in the registry database `con`
    (None: none yet; `sped audit verify` reads it through a read-only connection of its own).
    Raises ValueError when that event's recorded state is not JSON."""
    row = con.execute(
        "SELECT state FROM events WHERE event = 'published' ORDER BY event_id DESC LIMIT 1"
    ).fetchone()
    if row is None or not row[0]:
        return None
    return {k[5:]: v for k, v in json.loads(row[0]).items() if k.startswith("mart:")}


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Submission:
    submission_id: int
    collection: str
    lea_id: str | None
    period: str
    original_name: str
    landing_path: str | None
    sha256: str
    size_bytes: int
    received_at: str
    submitter: str
    status: str
    error_count: int | None
    warning_count: int | None
    row_count: int | None
    validated_at: str | None
    superseded_by: int | None

    @property
    def key(self) -> DeclaredKey:
        return DeclaredKey(self.collection, self.lea_id, self.period)


@dataclass(frozen=True)
class Receipt:
    """What happened to one received file."""

    outcome: str  # "new" | "duplicate" | "unroutable" | "refused"
    submission_id: int | None
    sha256: str
    detail: str = ""


@dataclass(frozen=True)
class Incoming:
    """A stored file waiting for its receipt: what `_record` needs (not its bytes)."""

    key: DeclaredKey | None
    sha256: str
    size_bytes: int
    original_name: str
    submitter: str
    landing_path: str | None
    received_at: str | None = None
    unroutable: str | None = None  # why its place says nothing about what it is
    #: the OS uid owning the file, for a file taken from a landing folder (None: sent as bytes
    #: by an authenticated sender: the portal, the API, `sped submit`)
    file_uid: int | None = None


@dataclass
class ReceivingBatch:
    """Files stored, not yet flushed to disk nor recorded (`Registry.receive_batch`)."""

    incoming: list[Incoming] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    size_bytes: int = 0

    def add(self, incoming: Incoming, path: Path) -> None:
        """A file stored at `path` (`store.put(durable=False)`), waiting for its receipt."""
        self.incoming.append(incoming)
        self.paths.append(path)
        self.size_bytes += incoming.size_bytes


class Registry:
    """The registry database of one installation."""

    def __init__(self, path: Path, store_dir: Path, *, create: bool = False):
        """Open the registry at `path`; only with `create` (a new installation: see
        sped/landing/registry_guard.py) is a missing one made, never otherwise."""
        self.path = path
        self.store_dir = store_dir
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "rwc" if create else "rw"
        try:
            self._con = sqlite3.connect(
                f"file:{quote(str(path))}?mode={mode}", uri=True, timeout=30,
                isolation_level=None,
            )  # fmt: skip
        except sqlite3.OperationalError as exc:
            raise registry_guard.RegistryLost(
                f"the registry {path} cannot be opened ({exc}); it is never made again beside "
                "an installation's data: restore the installation from a backup"
            ) from None
        self._con.row_factory = sqlite3.Row
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA foreign_keys=ON")
        self._con.executescript(SCHEMA)
        accounts.ensure_schema(self._con)
        accounts.ensure_receipt_owner(self._con)
        sessions.ensure_schema(self._con)
        trail.migrate(self._con)  # an older registry: hash columns added, events chained
        trail.migrate_state(self._con, now())  # ... and what is in force sealed
        upload_checks.migrate(self._con)
        with self.transaction() as con:
            registry_guard.ensure_identity(con, registry_guard.new_identity(), now())

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    # --- receiving -------------------------------------------------------------------------

    def receive(
        self,
        data: bytes,
        key: DeclaredKey,
        *,
        original_name: str,
        submitter: str,
        landing_path: str | None = None,
        received_at: str | None = None,
    ) -> Receipt:
        """Store the bytes and record a receipt; a new submission unless the same bytes were
        already submitted for the same key (and that submission is not superseded), or the
        submitter may not send files for the key (then the receipt says why: `refused`).
        `received_at` (UTC, ISO) is when the file reached the state, if earlier than now (a
        file that sat in the landing folder); the audit trail's events keep their own times."""
        digest, _ = store.put(self.store_dir, data)
        incoming = Incoming(key, digest, len(data), original_name, submitter, landing_path,
                            received_at)  # fmt: skip
        with self.transaction() as con:
            return self._record(con, incoming)

    def receive_batch(self, batch: ReceivingBatch) -> list[Receipt]:
        """Record a batch of files already stored (`store.put(durable=False)`, then
        `batch.add`): their bytes are forced to disk first, then every receipt is written in
        one transaction, so a crash leaves either all of them recorded or none (a rerun stores
        them again)."""
        if not batch.incoming:
            return []
        store.sync(batch.paths)
        with self.transaction() as con:
            receipts = [self._record(con, item) for item in batch.incoming]
        batch.incoming.clear()
        batch.paths.clear()
        batch.size_bytes = 0
        return receipts

    def _record(self, con: sqlite3.Connection, item: Incoming) -> Receipt:
        """The receipt (and the submission, if new) of one stored file, inside a transaction."""
        at = min(item.received_at, now()) if item.received_at else now()
        if item.unroutable is not None:
            cur = con.execute(
                "INSERT INTO receipts (received_at, submitter, original_name, landing_path, "
                "sha256, size_bytes, submission_id, outcome, detail, file_uid) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, 'unroutable', ?, ?)",
                (now(), item.submitter, item.original_name, item.landing_path, item.sha256,
                 item.size_bytes, item.unroutable, item.file_uid),
            )  # fmt: skip
            trail.seal_receipt(con, cur.lastrowid)
            return Receipt("unroutable", None, item.sha256, item.unroutable)
        key = item.key
        refusal = self._submit_refusal(con, item.submitter, key) or accounts.landing_refusal(
            con, key, item.file_uid
        )
        if refusal:
            cur = con.execute(
                "INSERT INTO receipts (received_at, submitter, original_name, landing_path, "
                "sha256, size_bytes, submission_id, outcome, detail, file_uid) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, 'refused', ?, ?)",
                (at, item.submitter, item.original_name, item.landing_path, item.sha256,
                 item.size_bytes, refusal, item.file_uid),
            )  # fmt: skip
            trail.seal_receipt(con, cur.lastrowid)
            self._event(con, None, "refused", f"{key.collection} {key.period}: {refusal}")
            return Receipt("refused", None, item.sha256, refusal)
        same = con.execute(
            "SELECT submission_id, status FROM submissions WHERE collection = ? AND "
            "lea_id IS ? AND period = ? AND sha256 = ? AND status <> 'superseded' "
            "ORDER BY submission_id DESC LIMIT 1",
            (key.collection, key.lea_id, key.period, item.sha256),
        ).fetchone()
        if same:
            outcome, sid = "duplicate", same["submission_id"]
            detail = f"same bytes as submission {sid} ({same['status']})"
        else:
            cur = con.execute(
                "INSERT INTO submissions (collection, lea_id, period, original_name, "
                "landing_path, sha256, size_bytes, received_at, submitter) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key.collection, key.lea_id, key.period, item.original_name, item.landing_path,
                 item.sha256, item.size_bytes, at, item.submitter),
            )  # fmt: skip
            outcome, sid, detail = "new", cur.lastrowid, ""
            owned = "" if item.file_uid is None else f" (a landing file of uid {item.file_uid})"
            self._event(
                con, sid, "received", f"{item.size_bytes} bytes from {item.submitter}{owned}"
            )
        cur = con.execute(
            "INSERT INTO receipts (received_at, submitter, original_name, landing_path, "
            "sha256, size_bytes, submission_id, outcome, detail, file_uid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at, item.submitter, item.original_name, item.landing_path, item.sha256,
             item.size_bytes, sid, outcome, detail, item.file_uid),
        )  # fmt: skip
        trail.seal_receipt(con, cur.lastrowid)
        return Receipt(outcome, sid, item.sha256, detail)

    def known_landing_paths(self) -> set[tuple[str, str]]:
        """(landing_path, sha256) of every receipt, so a landing folder can be re-scanned."""
        rows = self._con.execute("SELECT landing_path, sha256 FROM receipts").fetchall()
        return {(r["landing_path"], r["sha256"]) for r in rows}

    # --- accounts --------------------------------------------------------------------------

    def add_account(
        self,
        account: str,
        role: str,
        lea_ids: Iterable[str] = (),
        display_name: str = "",
        *,
        password: str | None = None,
        is_admin: bool = False,
        os_user: str | None = None,
        actor: str = "",
    ) -> accounts.Account:
        with self.transaction() as con:
            made = accounts.add_account(
                con,
                account,
                role,
                tuple(lea_ids),
                display_name,
                password=password,
                is_admin=is_admin,
                os_user=os_user,
            )
            flags = (" admin" if is_admin else "") + (f" os-user {os_user}" if os_user else "")
            self._event(
                con,
                None,
                "account_added",
                f"{account} ({role}{flags}) {' '.join(made.lea_ids)}".rstrip()
                + accounts.by_actor(actor),
                account=account,
            )
        return made

    def disable_account(self, account: str, *, actor: str = "") -> None:
        with self.transaction() as con:
            accounts.disable_account(con, account)
            self._event(con, None, "account_disabled", f"{account}{accounts.by_actor(actor)}",
                        account=account)  # fmt: skip
            self._end_sessions(con, account, "account disabled", actor)

    def set_account_leas(
        self, account: str, lea_ids: Iterable[str], *, actor: str = ""
    ) -> tuple[str, ...]:
        """Replace the LEAs a district account belongs to; the event names both lists."""
        with self.transaction() as con:
            before, after = accounts.set_leas(con, account, tuple(lea_ids))
            self._event(
                con,
                None,
                "account_leas_changed",
                f"{account}: {' '.join(before) or '(none)'} -> {' '.join(after)}"
                + accounts.by_actor(actor),
                account=account,
            )
        return after

    def set_password(self, account: str, password: str, *, actor: str = "") -> None:
        with self.transaction() as con:
            accounts.set_password(con, account, password)
            self._event(con, None, "password_changed", f"{account}{accounts.by_actor(actor)}",
                        account=account)  # fmt: skip
            self._end_sessions(con, account, "password changed", actor)

    def create_token(self, account: str, *, actor: str = "") -> str:
        """A new API token (returned once; only its hash is stored)."""
        with self.transaction() as con:
            token = accounts.create_token(con, account)
            self._event(con, None, "token_created", f"{account}{accounts.by_actor(actor)}",
                        account=account)  # fmt: skip
        return token

    def revoke_tokens(self, account: str, *, actor: str = "") -> int:
        with self.transaction() as con:
            accounts._require(con, account)
            n = accounts.revoke_tokens(con, account)
            self._event(con, None, "tokens_revoked", f"{account}: {n}{accounts.by_actor(actor)}",
                        account=account)  # fmt: skip
        return n

    def sign_in(
        self, account: str, password: str, *, source: str
    ) -> tuple[accounts.Account | None, str]:
        """Check a password; the attempt, its outcome and any lock go into the audit trail.
        `source` says where from (e.g. "web 127.0.0.1", "sped submit")."""
        shown = account if accounts.ACCOUNT_NAME.match(account) else "(not an account name)"
        scope = account if accounts.ACCOUNT_NAME.match(account) else None
        with self.transaction() as con:
            found, why = accounts.check_password(con, account, password)
            if found is not None:  # a password's hash may have been renewed: recorded
                self._event(con, None, "signed_in", f"{shown} via {source}", account=scope)
            else:
                self._event(con, None, "signin_failed", f"{shown} via {source}: {why}")
                if why.startswith("locked after"):
                    self._event(
                        con, None, "account_locked", f"{shown} for {accounts.LOCK_MINUTES} min"
                    )
        return found, why

    def signed_in_from(self, account: str, *, source: str) -> bool:
        """Whether `account` has signed in from `source` before (per the audit trail)."""
        row = self._con.execute(
            "SELECT 1 FROM events WHERE event = 'signed_in' AND detail = ? LIMIT 1",
            (f"{account} via {source}",),
        ).fetchone()
        return row is not None

    #: refusals of the web application that are audit events (sped/web/routes/signin.py, auth.py)
    WEB_REFUSALS = ("signin_paused", "form_origin_refused")

    def record_web_refusal(self, event: str, detail: str) -> None:
        if event not in self.WEB_REFUSALS:
            raise ValueError(f"not a web refusal event: {event}")
        with self.transaction() as con:
            self._event(con, None, event, detail)

    # --- web sessions (sped/landing/sessions.py) -------------------------------------------

    def start_session(self, account: str, *, source: str, hours: float) -> str:
        """A new server-side session of a signed-in account; its token (for the cookie)."""
        with self.transaction() as con:
            token = sessions.start(con, account, source=source, hours=hours)
            self._event(con, None, "session_started", f"{account} via {source}",
                        extra=trail.sessions_scopes(con, [account]))  # fmt: skip
        return token

    def session_account(self, token: str | None) -> accounts.Account | None:
        """The active account of a live session, or None (ended, expired, unknown, disabled)."""
        name = sessions.live_account(self._con, token)
        found = accounts.get_account(self._con, name) if name else None
        return found if found is not None and not found.disabled else None

    def end_session(self, token: str | None, *, source: str) -> str | None:
        """Sign out: end this session (recorded as `signed_out`); its account, if it was live."""
        with self.transaction() as con:
            name = sessions.end(con, token, "signed out")
            if name is not None:
                self._event(con, None, "signed_out", f"{name} via {source}",
                            extra=trail.sessions_scopes(con, [name]))  # fmt: skip
        return name

    def end_sessions(self, account: str | None, *, actor: str = "", why: str = "ended") -> int:
        """End every live session of `account` (None: of every account), recorded as
        `sessions_ended`; how many were live."""
        with self.transaction() as con:
            if account is not None:
                accounts._require(con, account)
            return self._end_sessions(con, account, why, actor, always=True)

    def _end_sessions(
        self, con, account: str | None, why: str, actor: str, *, always: bool = False
    ) -> int:
        ended = sessions.live_accounts(con, account)
        n = sessions.end_all(con, account, why)
        if n or always:
            who = account or "every account"
            detail = f"{who}: {n} ({why}){accounts.by_actor(actor)}"
            self._event(
                con, None, "sessions_ended", detail, extra=trail.sessions_scopes(con, ended)
            )
        return n

    def token_account(self, token: str) -> accounts.Account | None:
        return accounts.account_for_token(self._con, token)

    def state_channel_account(self, os_user: str | None = None) -> accounts.Account:
        """The state account the operating-system user running this process is bound to; on an
        installation with no binding yet, the owner is bound now (recorded in the audit trail).
        Raises AccountError when this user may not act as the state."""
        me = os_user or accounts.current_os_user()
        with self.transaction() as con:
            refusal = self._submit_refusal(con, f"operator:{me}", None)
            if refusal:
                raise AccountError(refusal)
            found = accounts.bound_state_account(con, me)
        assert found is not None
        return found

    def _submit_refusal(
        self, con: sqlite3.Connection, submitter: str, key: DeclaredKey | None
    ) -> str | None:
        """Why `submitter` may not send a file for `key` (None: it may). A state-channel label
        is authorised by the process's operating-system user and its bound state account."""
        if submitter.startswith(accounts.STATE_CHANNELS):
            me = accounts.current_os_user()
            refusal, bind = accounts.channel_refusal(con, submitter, me)
            if bind:
                name = accounts.owner_account_name(me)
                accounts.add_account(
                    con, name, "state", (), "installation owner", is_admin=True, os_user=me
                )
                self._event(
                    con,
                    None,
                    "state_channel_bound",
                    f"{name} (state admin) bound to operating-system user {me}, the "
                    "installation owner, at its first use of the state channel",
                    account=name,
                )
            return refusal
        if key is None:
            return None
        return accounts.submit_refusal(con, submitter, key)

    def account(self, account: str) -> accounts.Account | None:
        return accounts.get_account(self._con, account)

    def list_accounts(self) -> list[accounts.Account]:
        return accounts.list_accounts(self._con)

    # --- reading ---------------------------------------------------------------------------

    def submission(self, submission_id: int) -> Submission:
        if not -(2**63) <= submission_id < 2**63:  # no SQLite integer: no such submission
            raise KeyError(f"no submission {submission_id}")
        row = self._con.execute(
            "SELECT * FROM submissions WHERE submission_id = ?", (submission_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no submission {submission_id}")
        return Submission(**{k: row[k] for k in SUBMISSION_FIELDS})

    def submissions(
        self, *, collection: str | None = None, status: str | None = None
    ) -> list[Submission]:
        sql, args = "SELECT * FROM submissions WHERE 1 = 1", []
        if collection:
            sql, args = sql + " AND collection = ?", [*args, collection]
        if status:
            sql, args = sql + " AND status = ?", [*args, status]
        rows = self._con.execute(sql + " ORDER BY submission_id", args).fetchall()
        return [Submission(**{k: r[k] for k in SUBMISSION_FIELDS}) for r in rows]

    def pending(self, collection: str) -> list[Submission]:
        return self.submissions(collection=collection, status="received")

    def in_force(self, collection: str) -> dict[DeclaredKey, Submission]:
        return {s.key: s for s in self.submissions(collection=collection, status="accepted")}

    def in_force_ids(self) -> dict[str, list[int]]:
        """The ids of the submissions in force, by collection (one query for all of them)."""
        ids: dict[str, list[int]] = {}
        rows = self._con.execute(
            "SELECT collection, submission_id FROM submissions WHERE status = 'accepted' "
            "ORDER BY submission_id"
        ).fetchall()
        for collection, sid in rows:
            ids.setdefault(collection, []).append(sid)
        return ids

    def pending_counts(self) -> dict[str, int]:
        """How many submissions of each collection wait for a pipeline run."""
        return dict(
            self._con.execute(
                "SELECT collection, count(*) FROM submissions WHERE status = 'received' "
                "GROUP BY collection"
            ).fetchall()
        )

    def findings(self, submission_id: int) -> list[Finding]:
        rows = self._con.execute(
            "SELECT * FROM findings WHERE submission_id = ? ORDER BY severity = 'warning', rule_id",
            (submission_id,),
        ).fetchall()
        return [
            Finding(
                submission_id=r["submission_id"],
                rule_id=r["rule_id"],
                severity=r["severity"],
                text=r["text"],
                reference=r["reference"],
                column=r["column_name"],
                failed_count=r["failed_count"],
                sample_rows=tuple(json.loads(r["sample_rows"])),
                sample_values=tuple(json.loads(r["sample_values"])),
            )
            for r in rows
        ]

    def record_upload_check(
        self,
        submission_id: int,
        verdict: str,
        row_count: int,
        findings: Iterable[Finding],
        rule_inputs: str | None = None,
        rule_findings: Iterable[Finding] = (),
    ) -> None:
        """Keep what the portal's check of an upload showed (replacing an earlier check), in
        one transaction; `rule_inputs` None: the rules did not finish, so there is nothing for
        the run to reuse (sped/landing/upload_checks.py)."""
        with self.transaction() as con:
            upload_checks.record(
                con, submission_id, now(), verdict, row_count, findings, rule_inputs,
                rule_findings,
            )  # fmt: skip

    def upload_check(self, submission_id: int) -> tuple[str, list[Finding]] | None:
        """(verdict, findings) the portal's check of the upload showed, if it kept one
        (sped/landing/upload_checks.py)."""
        return upload_checks.shown(self._con, submission_id)

    def upload_rule_findings(
        self, submission_ids: Iterable[int]
    ) -> dict[int, tuple[str, list[Finding]]]:
        """The file-stage findings kept for these submissions when they were checked at upload,
        each with the digest of what decided them (sped/ingest/file_checks.py)."""
        return upload_checks.rule_findings(self._con, submission_ids)

    def receipts(self) -> list[sqlite3.Row]:
        return self._con.execute("SELECT * FROM receipts ORDER BY receipt_id").fetchall()

    def events(self, submission_id: int | None = None) -> list[sqlite3.Row]:
        if submission_id is None:
            return self._con.execute("SELECT * FROM events ORDER BY event_id").fetchall()
        return self._con.execute(
            "SELECT * FROM events WHERE submission_id = ? ORDER BY event_id", (submission_id,)
        ).fetchall()

    def last_event_id(self) -> int:
        return self._con.execute("SELECT COALESCE(MAX(event_id), 0) FROM events").fetchone()[0]

    def data_changes(self, after: int, upto: int) -> set[tuple[str, str | None, str]]:
        """(collection, lea_id, period) of every key whose data in force changed between two
        events: a submission accepted or superseded, or its rows reloaded into or removed from
        the warehouse by a repair."""
        marks = ", ".join("?" for _ in DATA_EVENTS)
        rows = self._con.execute(
            "SELECT DISTINCT s.collection, s.lea_id, s.period FROM events AS e "
            "JOIN submissions AS s "
            "USING (submission_id) WHERE e.event_id > ? AND e.event_id <= ? "
            f"AND e.event IN ({marks})",
            (after, upto, *DATA_EVENTS),
        ).fetchall()
        return {(r[0], r[1], r[2]) for r in rows}

    def read_bytes(self, submission: Submission) -> bytes:
        return store.get(self.store_dir, submission.sha256)

    def record_repair(self, submission_id: int, event: str, detail: str) -> None:
        """Write to the trail that the warehouse's copy of a submission's rows was repaired
        (`reloaded` from its stored file, or `unloaded`: removed, no longer in force). The
        submission's recorded outcome does not change."""
        if event not in ("reloaded", "unloaded"):
            raise ValueError(f"not a repair event: {event}")
        with self.transaction() as con:
            known = con.execute(
                "SELECT 1 FROM submissions WHERE submission_id = ?", (submission_id,)
            ).fetchone()
            if known:
                self._event(con, submission_id, event, detail)
            else:  # rows under an id the registry never issued
                self._event(con, None, event, f"submission {submission_id} (unknown): {detail}")

    def record_loaded_rows(self, digests: dict[int, tuple[int, str]]) -> None:
        """Keep, for submissions about to be decided, the count and digest of the typed rows
        they would load (sped/warehouse/digests.py); their outcome's event records it, and
        `sped audit verify` checks the warehouse's rows against it."""
        with self.transaction() as con:
            con.executemany(
                "INSERT OR REPLACE INTO loaded_rows (submission_id, row_count, digest) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM submissions WHERE "
                "submission_id = ? AND status = 'received')",
                [(sid, n, d, sid) for sid, (n, d) in digests.items()],
            )

    def record_publication(self, marts: dict[str, str], detail: str) -> None:
        """Write to the trail that the marts were published, with each one's digest."""
        with self.transaction() as con:
            self._event(
                con, None, "published", detail, extra={f"mart:{k}": v for k, v in marts.items()}
            )

    def last_publication(self) -> dict[str, str] | None:
        """{schema.table: digest} the latest `published` event recorded (None: none yet)."""
        return last_publication(self._con)

    def record_rebuild(self, detail: str) -> None:
        """Write to the trail that the warehouse was rebuilt from the stored files."""
        with self.transaction() as con:
            self._event(con, None, "rebuilt", detail)

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the registry database (SQLite's online backup)."""
        dest = sqlite3.connect(target)
        try:
            self._con.backup(dest)
        finally:
            dest.close()

    # --- deciding --------------------------------------------------------------------------

    def record_outcome(
        self, submission_id: int, findings: Iterable[Finding], row_count: int
    ) -> str:
        """Store the findings and accept or reject; an accepted submission supersedes the
        key's previous one. Returns the new status."""
        return self.record_outcomes([(submission_id, findings, row_count)])[0]

    def record_outcomes(
        self,
        outcomes: Iterable[tuple[int, Iterable[Finding], int]],
        *,
        checked_at_upload: Iterable[int] = (),
    ) -> list[str]:
        """`record_outcome` for each (submission_id, findings, row_count) in turn, all in one
        transaction (a batch's outcomes are committed together, or none of them). The trail
        says which of them were decided with the rules' findings from the upload's check
        (sped/ingest/file_checks.py)."""
        prechecked = set(checked_at_upload)
        with self.transaction() as con:
            return [
                self._record_outcome(con, sid, list(f), rows, sid in prechecked)
                for sid, f, rows in outcomes
            ]

    def _record_outcome(
        self,
        con: sqlite3.Connection,
        submission_id: int,
        findings: list[Finding],
        row_count: int,
        prechecked: bool = False,
    ) -> str:
        errors = sum(f.failed_count or 1 for f in findings if f.blocking)
        warnings = sum(f.failed_count or 1 for f in findings if not f.blocking)
        status = "rejected" if any(f.blocking for f in findings) else "accepted"
        con.execute("DELETE FROM findings WHERE submission_id = ?", (submission_id,))
        self._insert_findings(con, submission_id, findings)
        con.execute(
            "UPDATE submissions SET status = ?, error_count = ?, warning_count = ?, "
            "row_count = ?, validated_at = ? WHERE submission_id = ?",
            (status, errors, warnings, row_count, now(), submission_id),
        )
        detail = f"{errors} errors, {warnings} warnings"
        if prechecked:
            detail += " (rules as checked at upload, same inputs)"
        self._event(con, submission_id, status, detail)
        if status != "accepted":
            return status
        sub = con.execute(
            "SELECT collection, lea_id, period, received_at FROM submissions "
            "WHERE submission_id = ?",
            (submission_id,),
        ).fetchone()
        others = con.execute(
            "SELECT submission_id, received_at FROM submissions WHERE collection = ? AND "
            "lea_id IS ? AND period = ? AND status = 'accepted' AND submission_id <> ?",
            (sub["collection"], sub["lea_id"], sub["period"], submission_id),
        ).fetchall()
        mine = received_order(sub["received_at"], submission_id)
        newer = [o for o in others if received_order(o["received_at"], o["submission_id"]) > mine]
        if newer:  # a file for the key received later is already in force: this one yields
            last = max(newer, key=lambda o: received_order(o["received_at"], o["submission_id"]))
            con.execute(
                "UPDATE submissions SET status = 'superseded', superseded_by = ? "
                "WHERE submission_id = ?",
                (last["submission_id"], submission_id),
            )
            self._event(con, submission_id, "superseded", f"by submission {last['submission_id']}")
            return "superseded"
        for old in others:
            con.execute(
                "UPDATE submissions SET status = 'superseded', superseded_by = ? "
                "WHERE submission_id = ?",
                (submission_id, old["submission_id"]),
            )
            self._event(con, old["submission_id"], "superseded", f"by submission {submission_id}")
        return status

    def replace_cross_findings(
        self, collection: str, rule_ids: Iterable[str], findings: Iterable[Finding]
    ) -> int:
        """Make `findings` the cross-collection warnings of the collection's submissions in force:
        earlier results of those rules are replaced, so a warning a later file resolved goes
        away. Returns how many submissions changed."""
        rule_ids = list(rule_ids)
        by_sid: dict[int, list[Finding]] = {}
        for f in findings:
            if not f.blocking:
                by_sid.setdefault(f.submission_id, []).append(f)
        marks = ", ".join("?" for _ in rule_ids)
        with self.transaction() as con:
            in_force = [
                r["submission_id"]
                for r in con.execute(
                    "SELECT submission_id FROM submissions WHERE collection = ? AND status = "
                    "'accepted'",
                    (collection,),
                ).fetchall()
            ]
            changed = 0
            for sid in in_force:
                before = con.execute(
                    f"SELECT rule_id, failed_count FROM findings WHERE submission_id = ? "
                    f"AND rule_id IN ({marks}) ORDER BY rule_id",
                    (sid, *rule_ids),
                ).fetchall()
                now_found = sorted((f.rule_id, f.failed_count) for f in by_sid.get(sid, []))
                if [tuple(r) for r in before] == now_found:
                    continue
                changed += 1
                con.execute(
                    f"DELETE FROM findings WHERE submission_id = ? AND rule_id IN ({marks})",
                    (sid, *rule_ids),
                )
                self._insert_findings(con, sid, by_sid.get(sid, []))
                con.execute(
                    "UPDATE submissions SET warning_count = (SELECT COALESCE(SUM(MAX("
                    "failed_count, 1)), 0) FROM findings WHERE submission_id = ? AND "
                    "severity = 'warning') WHERE submission_id = ?",
                    (sid, sid),
                )
                self._event(
                    con,
                    sid,
                    "cross_checked",
                    f"{len(by_sid.get(sid, []))} cross-collection warnings",
                )
        return changed

    @staticmethod
    def _insert_findings(
        con: sqlite3.Connection, submission_id: int, findings: list[Finding]
    ) -> None:
        """Store findings; a rule found again for the same submission replaces its row."""
        con.executemany(
            "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    submission_id,
                    f.rule_id,
                    f.severity,
                    f.column,
                    f.failed_count,
                    json.dumps(list(f.sample_rows)),
                    json.dumps(list(f.sample_values)),
                    f.text,
                    f.reference,
                )
                for f in findings
            ],
        )

    @staticmethod
    def _event(
        con: sqlite3.Connection,
        submission_id: int | None,
        event: str,
        detail: str,
        *,
        account: str | None = None,
        extra: dict[str, str] | None = None,
    ):
        """One event of the audit trail, chained to the one before, recording the state of its
        submission and `account` after the change (inside a transaction)."""
        trail.append(con, now(), submission_id, event, detail, account=account, extra=extra)
