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
