"""The tamper-evident trail: every audit event is hash-chained to the one before and covers its
submission's facts; `sped audit verify` finds any edit, deletion or changed stored byte, names
the first one, and passes an intact installation (also one migrated from before the chain)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from sped.cli import main
from sped.contracts.findings import Finding
from sped.landing import store
from sped.landing.layout import DeclaredKey
from sped.landing.registry import Registry
from sped.operations.audit import verify
from sped.run.steps import open_registry
from tests.state_channel import OPERATOR

KEY = DeclaredKey("placements", "2500010", "2025-26")
OTHER = DeclaredKey("placements", "2500020", "2025-26")
BAD = Finding(0, "placements.file.empty", "blocking", "empty", "34 CFR 300.645")


def _populated(inst) -> dict[str, int]:
    """Submissions of every fate: accepted then superseded, accepted, rejected."""
    with open_registry(inst) as reg:
        first = reg.receive(b"a\n1\n", KEY, original_name="r1.csv", submitter=OPERATOR)
        reg.record_outcome(first.submission_id, [], 1)
        second = reg.receive(b"a\n2\n", KEY, original_name="r2.csv", submitter=OPERATOR)
        reg.record_outcome(second.submission_id, [], 1)
        bad = reg.receive(b"", OTHER, original_name="r3.csv", submitter=OPERATOR)
        reg.record_outcome(bad.submission_id, [BAD], 0)
    return {
        "superseded": first.submission_id,
        "accepted": second.submission_id,
        "rejected": bad.submission_id,
    }


def _sql(inst, sql: str, *args) -> None:
    con = sqlite3.connect(inst.registry)
    con.execute(sql, args)
    con.commit()
    con.close()


def _verify_cli(inst, capsys) -> tuple[int, str]:
    code = main(["audit", "verify", "--warehouse", str(inst.warehouse)])
    return code, capsys.readouterr().out


def assert_tampering_found(inst, capsys, sql: str, named: str) -> None:
    """An intact installation; `sql` run on its registry behind sped's back; `sped audit
    verify` then names `named` and the command reports tampering."""
    assert verify(inst) == []
    con = sqlite3.connect(inst.registry)
    con.executescript(sql)
    con.close()
    problems = "\n".join(str(p) for p in verify(inst))
    assert named in problems, problems or "tampering went unnoticed"
    code, out = _verify_cli(inst, capsys)
    assert code == 1 and "TAMPERING OR DAMAGE FOUND" in out


def test_every_event_carries_the_hash_of_the_one_before(inst):
    _populated(inst)
    with open_registry(inst) as reg:
        events = reg.events()
    # the state channel bound to the OS user on first use, 3 received, 2 accepted,
    # 1 superseded, 1 rejected
    assert [e["event"] for e in events].count("received") == 3
    assert len(events) == 8
    assert events[0]["prev_hash"] == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after["prev_hash"] == before["hash"] and len(after["hash"]) == 64


def test_an_intact_installation_verifies(inst, capsys):
    _populated(inst)
    assert verify(inst) == []
    code, out = _verify_cli(inst, capsys)
    assert code == 0 and "intact" in out


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        # an event's words changed
        (
            lambda inst, ids: _sql(
                inst, "UPDATE events SET detail = '0 errors' WHERE event = 'rejected'"
            ),
            "event 8 (rejected, submission 3)",
        ),
        # an event deleted from the middle of the trail
        (lambda inst, ids: _sql(inst, "DELETE FROM events WHERE event_id = 4"), "event 5"),
        # the first event deleted
        (lambda inst, ids: _sql(inst, "DELETE FROM events WHERE event_id = 1"), "event 2"),
        # the submitter of a submission changed
        (
            lambda inst, ids: _sql(
                inst,
                "UPDATE submissions SET submitter = 'clerk@mallory' WHERE submission_id = ?",
                ids["accepted"],
            ),
            "event 4 (received, submission 2)",
        ),
        # the checksum a submission names changed
        (
            lambda inst, ids: _sql(
                inst,
                "UPDATE submissions SET sha256 = ? WHERE submission_id = ?",
                "f" * 64,
                ids["accepted"],
            ),
            "event 4 (received, submission 2)",
        ),
        # a rejected submission flipped to accepted
        (
            lambda inst, ids: _sql(
                inst,
                "UPDATE submissions SET status = 'accepted', error_count = 0 "
                "WHERE submission_id = ?",
                ids["rejected"],
            ),
            "submission 3: its status is accepted but its audit trail says rejected",
        ),
        # ... and its rejection event deleted too (the trail ends at the deletion)
        (
            lambda inst, ids: (
                _sql(
                    inst,
                    "UPDATE submissions SET status = 'accepted' WHERE submission_id = ?",
                    ids["rejected"],
                ),
                _sql(inst, "DELETE FROM events WHERE event = 'rejected'"),
            ),
            "submission 3: its status is accepted but its audit trail says received",
        ),
        # the superseded submission put back in force
        (
            lambda inst, ids: _sql(
                inst,
                "UPDATE submissions SET status = 'accepted', superseded_by = NULL "
                "WHERE submission_id = ?",
                ids["superseded"],
            ),
            "submission 1: its status is accepted but its audit trail says superseded",
        ),
        # a submission inserted by hand, with no trail
        (
            lambda inst, ids: _sql(
                inst,
                "INSERT INTO submissions (collection, lea_id, period, original_name, sha256, "
                "size_bytes, received_at, submitter, status) VALUES ('placements', '2500030', "
                "'2025-26', 'x.csv', ?, 1, '2025-10-01', 'operator:t', 'accepted')",
                store.sha256_bytes(b"a\n1\n"),
            ),
            "submission 4: it has no events in the audit trail",
        ),
    ],
)
def test_any_edit_or_deletion_is_found_and_named(inst, capsys, tamper, named):
    ids = _populated(inst)
    tamper(inst, ids)
    problems = verify(inst)
    assert problems, "tampering went unnoticed"
    assert named in "\n".join(str(p) for p in problems)
    code, out = _verify_cli(inst, capsys)
    assert code == 1 and "TAMPERING OR DAMAGE FOUND" in out


def test_the_first_bad_event_is_named_first(inst):
    _populated(inst)
    _sql(inst, "UPDATE events SET at = '2020-01-01' WHERE event_id IN (3, 7)")
    assert str(verify(inst)[0]).startswith("event 3 ")


def test_a_changed_byte_in_a_stored_file_is_found(inst, capsys):
    _populated(inst)
    with open_registry(inst) as reg:
        sub = reg.submissions(status="accepted")[0]
    path = store.stored_path(inst.store, sub.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    problems = [str(p) for p in verify(inst)]
    assert problems == [f"stored file {sub.sha256[:12]}: {store.check(inst.store, sub.sha256)}"]
    code, out = _verify_cli(inst, capsys)
    assert code == 1 and sub.sha256[:12] in out
    # sending the same bytes again repairs the stored copy (they hash to its name)
    with open_registry(inst) as reg:
        again = reg.receive(b"a\n2\n", KEY, original_name="r2.csv", submitter=OPERATOR)
    assert again.outcome == "duplicate"
    assert verify(inst) == []


def test_a_missing_stored_file_is_found(inst):
    _populated(inst)
    with open_registry(inst) as reg:
        sub = reg.submissions(status="rejected")[0]
    store.stored_path(inst.store, sub.sha256).unlink()
    assert "is missing" in str(verify(inst)[0])


def test_a_registry_from_before_the_chain_is_migrated_and_chained(inst):
    """An installation written before events carried hashes: opening it adds the columns and
    chains its events from the first; it then verifies, and tampering after shows."""
    ids = _populated(inst)
    con = sqlite3.connect(inst.registry)
    con.execute("ALTER TABLE events DROP COLUMN prev_hash")
    con.execute("ALTER TABLE events DROP COLUMN hash")
    con.commit()
    con.close()
    assert "no hash chain" in str(verify(inst)[0])
    with Registry(inst.registry, inst.store) as reg:  # the migration runs on open
        events = reg.events()
        assert all(e["hash"] for e in events)
        reg.receive(b"a\n3\n", OTHER, original_name="r4.csv", submitter=OPERATOR)
    assert verify(inst) == []
    _sql(inst, "UPDATE submissions SET submitter = 'x' WHERE submission_id = ?", ids["accepted"])
    assert verify(inst)


def test_a_trail_rewritten_with_fresh_hashes_is_caught_against_a_backup(inst, tmp_path, capsys):
    """Someone who can write the registry can cut the trail's end and recompute every hash: the
    chain is then consistent in itself, but a backup's manifest recorded where it ended."""
    _populated(inst)
    with open_registry(inst) as reg:
        reg.record_rebuild("an event at the end of the trail")
    backup_dir = tmp_path / "backup"
    assert main(["backup", "--warehouse", str(inst.warehouse), "--to", str(backup_dir)]) == 0
    assert verify(inst, [backup_dir]) == []
    with open_registry(inst) as reg:
        last = max(e["event_id"] for e in reg.events())
    _sql(inst, "DELETE FROM events WHERE event_id = ?", last)
    con = sqlite3.connect(inst.registry)  # every hash recomputed: the chain looks intact
    con.execute("ALTER TABLE events DROP COLUMN prev_hash")
    con.execute("ALTER TABLE events DROP COLUMN hash")
    con.commit()
    con.close()
    Registry(inst.registry, inst.store).close()
    assert verify(inst) == []
    assert str(verify(inst, [backup_dir])[0]).startswith(f"event {last}: the backup in ")
    capsys.readouterr()
    code = main(
        ["audit", "verify", "--warehouse", str(inst.warehouse), "--backup", str(backup_dir)]
    )
    assert code == 1 and "gone: deleted" in capsys.readouterr().out


# --- issue 25, failure 9: what decides who may do what and what is in force ---------------

CLERK = "clerk@lea10"


def _governed(inst) -> dict[str, int]:
    """`_populated` plus what decides who may do what: a district clerk of one LEA with a
    password and an API token, a revoked token, and a file refused to the clerk (a receipt
    without a submission)."""
    ids = _populated(inst)
    with open_registry(inst) as reg:
        reg.add_account(CLERK, "district", ["2500010"], password="correct horse battery")
        reg.create_token(CLERK)
        reg.revoke_tokens(CLERK)
        reg.create_token(CLERK)
        refused = reg.receive(b"a\n9\n", OTHER, original_name="r9.csv", submitter=CLERK)
        assert refused.outcome == "refused"
    return ids


def _in_force_tampering():
    accepted = "(SELECT submission_id FROM submissions WHERE status = 'accepted')"
    rejected = "(SELECT submission_id FROM submissions WHERE status = 'rejected')"
    return [
        ("edited row count", f"UPDATE submissions SET row_count = 999 WHERE submission_id = "
         f"{accepted}", "submission 2: its status, counts, findings"),
        ("edited error count", f"UPDATE submissions SET error_count = 0 WHERE submission_id = "
         f"{rejected}", "submission 3: its status, counts, findings"),
        ("deleted finding", "DELETE FROM findings", "submission 3: its status, counts, findings"),
        ("edited finding", "UPDATE findings SET severity = 'warning'",
         "submission 3: its status, counts, findings"),
        ("added membership", f"INSERT INTO memberships VALUES ('{CLERK}', '2500020')",
         f"account {CLERK}: its role, admin flag"),
        ("made state and admin", f"UPDATE accounts SET role = 'state', is_admin = 1 "
         f"WHERE account = '{CLERK}'", f"account {CLERK}: its role, admin flag"),
        ("password replaced", f"UPDATE accounts SET password_hash = 'x' WHERE account = "
         f"'{CLERK}'", f"account {CLERK}: its role, admin flag"),
        ("inserted admin", "INSERT INTO accounts (account, role, created_at, is_admin) VALUES "
         "('mallory', 'state', '2026-01-01', 1)", "account mallory: no event records it"),
        ("deleted account", f"DELETE FROM api_tokens WHERE account = '{CLERK}'; DELETE FROM "
         f"memberships WHERE account = '{CLERK}'; DELETE FROM accounts WHERE account = "
         f"'{CLERK}'", f"account {CLERK}: recorded by event"),
        ("inserted token", f"INSERT INTO api_tokens (account, token_sha256, created_at) VALUES "
         f"('{CLERK}', 'abc', '2026-01-01')", f"account {CLERK}: its role, admin flag"),
        ("revocation undone", "UPDATE api_tokens SET revoked_at = NULL",
         f"account {CLERK}: its role, admin flag"),
        ("edited receipt", "UPDATE receipts SET submitter = 'operator:x' WHERE receipt_id = 2",
         "receipt 2: its hash does not match"),
        ("deleted receipt", "DELETE FROM receipts WHERE receipt_id = 2",
         "receipt 3: it does not follow"),
        ("deleted last receipt", "DELETE FROM receipts WHERE receipt_id = "
         "(SELECT max(receipt_id) FROM receipts)", "receipts: the newest receipt"),
        ("inserted receipt", "INSERT INTO receipts (received_at, submitter, original_name, "
         "sha256, size_bytes, submission_id, outcome) VALUES ('2026-01-01', 'operator:x', "
         "'x.csv', 'ab', 1, 2, 'duplicate')", "its hash does not match"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "named"),
    [case[1:] for case in _in_force_tampering()],
    ids=[case[0] for case in _in_force_tampering()],
)
def test_tampering_with_what_decides_access_and_force_is_found(inst, capsys, sql, named):
    _governed(inst)
    assert_tampering_found(inst, capsys, sql, named)


def test_what_sped_changes_itself_verifies(inst):
    """Every change sped makes records its new state: passwords, disabling, tokens, sign-ins
    (a rehashed password included), cross-collection warnings and repairs."""
    ids = _governed(inst)
    with open_registry(inst) as reg:
        reg.set_password(CLERK, "another long password")
        assert reg.sign_in(CLERK, "wrong password!", source="test")[0] is None
        assert reg.sign_in(CLERK, "another long password", source="test")[0] is not None
        reg.revoke_tokens(CLERK)
        reg.disable_account(CLERK)
        reg.replace_cross_findings(
            "placements",
            ["placements.cross.x"],
            [Finding(ids["accepted"], "placements.cross.x", "warning", "w", "ref")],
        )
        reg.record_repair(ids["accepted"], "reloaded", "1 rows reloaded")
    assert verify(inst) == []


def test_a_registry_from_before_state_was_recorded_is_sealed_on_open(inst):
    """Opening an older registry chains its receipts and seals what is in force with one
    event; tampering after that shows."""
    _governed(inst)
    con = sqlite3.connect(inst.registry)
    con.execute("DELETE FROM events WHERE state LIKE '%account:%'")  # no account events yet
    for column in ("state",):
        con.execute(f"ALTER TABLE events DROP COLUMN {column}")
    con.execute("ALTER TABLE receipts DROP COLUMN prev_hash")
    con.execute("ALTER TABLE receipts DROP COLUMN hash")
    con.execute("ALTER TABLE events DROP COLUMN prev_hash")
    con.execute("ALTER TABLE events DROP COLUMN hash")
    con.commit()
    con.close()
    Registry(inst.registry, inst.store).close()
    with open_registry(inst) as reg:
        assert reg.events()[-1]["event"] == "state_sealed"
    assert verify(inst) == []
    _sql(inst, "UPDATE accounts SET is_admin = 1 WHERE account = ?", CLERK)
    assert f"account {CLERK}: its role" in str(verify(inst)[0])
