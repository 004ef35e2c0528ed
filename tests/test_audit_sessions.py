"""Web sessions are in the audit trail (issue 25, failure 9's last gap): every start and end of
a session records the digest of its account's sessions (sped/landing/trail.py
`sessions_state`), so `sped audit verify` names a session row inserted by hand (it would sign
its token's holder in as the account), an ended one revived, one extended or one deleted; what
sped does itself (sign-in, sign-out, a password change, ending all sessions) verifies."""

from __future__ import annotations

import pytest

from sped.operations.audit import verify
from sped.run.steps import open_registry
from tests.test_audit_trail import CLERK, _governed, assert_tampering_found

READER = "reader@state"


def _with_sessions(inst) -> None:
    """`_governed` plus the clerk's sessions: one signed out, one live; and an account that
    never signed in."""
    _governed(inst)
    with open_registry(inst) as reg:
        reg.add_account(READER, "auditor", [], password="a long enough password")
        first = reg.start_session(CLERK, source="web 10.0.0.1", hours=8)
        assert reg.end_session(first, source="web 10.0.0.1") == CLERK
        reg.start_session(CLERK, source="web 10.0.0.2", hours=8)


TAMPERING = [
    ("inserted session", "INSERT INTO sessions (session_sha256, account, started_at, expires_at, "
     f"source) VALUES ('ab', '{CLERK}', '2026-01-01T00:00:00', '2099-01-01T00:00:00', 'web x')",
     f"sessions of {CLERK}: a session was inserted"),
    ("session of an account that never signed in", "INSERT INTO sessions (session_sha256, "
     f"account, started_at, expires_at, source) VALUES ('ab', '{READER}', '2026-01-01T00:00:00',"
     " '2099-01-01T00:00:00', 'web x')", f"sessions of {READER}: no event records them"),
    ("ended session revived", "UPDATE sessions SET ended_at = NULL, ended_why = NULL",
     f"sessions of {CLERK}: a session was inserted, revived"),
    ("session extended", "UPDATE sessions SET expires_at = '2099-01-01T00:00:00' "
     "WHERE ended_at IS NULL", f"sessions of {CLERK}: a session was inserted, revived"),
    ("session moved to another account", f"UPDATE sessions SET account = '{READER}' "
     "WHERE ended_at IS NULL", f"sessions of {READER}: no event records them"),
    ("sessions deleted", "DELETE FROM sessions", f"sessions of {CLERK}: a session was"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "named"), [c[1:] for c in TAMPERING], ids=[c[0] for c in TAMPERING]
)
def test_a_session_row_changed_outside_sped_is_found(inst, capsys, sql, named):
    _with_sessions(inst)
    assert_tampering_found(inst, capsys, sql, named)


def test_sessions_sped_starts_and_ends_verify(inst):
    """Sign-in, sign-out, a password change and disabling (which end every session) and an
    admin's "end all sessions" each record the sessions they leave."""
    _with_sessions(inst)
    with open_registry(inst) as reg:
        reg.start_session(READER, source="web 10.0.0.3", hours=8)
        reg.set_password(CLERK, "another long password")
        reg.start_session(CLERK, source="web 10.0.0.4", hours=8)
        reg.end_sessions(None, actor="test", why="ended by an admin")
        reg.start_session(CLERK, source="web 10.0.0.5", hours=8)
        reg.disable_account(CLERK)
        events = [r[0] for r in reg._con.execute("SELECT event FROM events ORDER BY event_id")]
    assert verify(inst) == []
    assert events.count("session_started") == 5 and "signed_out" in events
    assert events.count("sessions_ended") >= 2
