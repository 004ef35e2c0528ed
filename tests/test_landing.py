"""Landing: layout routing, the content-addressed store and the submission registry."""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import os
import sys
from pathlib import Path

import pytest

from sped.contracts.findings import Finding
from sped.landing import store
from sped.landing.layout import DeclaredKey, LayoutError, declared_key, walk
from sped.landing.registry import Registry
from sped.run.steps import open_registry, register_landing
from tests.state_channel import OPERATOR


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("placements/2500001/2025-26/roster.csv", DeclaredKey("placements", "2500001", "2025-26")),
        ("expenditures/0900001/2026/spend.xlsx", DeclaredKey("expenditures", "0900001", "2026")),
        ("allocations/2026/alloc.csv", DeclaredKey("allocations", None, "2026")),
        ("enrollment/2025-26/enr.csv", DeclaredKey("enrollment", None, "2025-26")),
        ("reference/leas.csv", DeclaredKey("leas", None, "current")),
    ],
)
def test_declared_key(path, key):
    assert declared_key(Path(path)) == key


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("placements/2500001/2025-27/roster.csv", "not a school year"),
        ("placements/2500001/roster.csv", "placements/<lea_id>/<period>"),
        ("expenditures/2500001/2025-26/x.csv", "not a fiscal year"),
        ("rosters/2500001/2025-26/x.csv", "not a district collection"),
        ("allocations/2500001/2026/x.csv", "allocations go in"),
        ("enrollment/2500001/2025-26/x.csv", "enrollment go in"),
        ("enrollment/2026/x.csv", "not a school year"),
        ("reference/schools.csv", "reference files are"),
        ("placements/2500001/2025-26/roster.txt", "only .csv and .xlsx"),
    ],
)
def test_unroutable_paths_say_why(path, why):
    with pytest.raises(LayoutError, match=why):
        declared_key(Path(path))


def test_store_keeps_bytes_once_and_checks_them(tmp_path):
    digest, path = store.put(tmp_path, b"abc")
    assert store.put(tmp_path, b"abc") == (digest, path)
    assert store.get(tmp_path, digest) == b"abc"
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(OSError, match="does not match"):
        store.get(tmp_path, digest)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs is Linux's")
def test_a_batch_of_stored_files_is_forced_to_disk_by_one_syncfs_per_file_system(
    tmp_path, monkeypatch
):
    """`store.sync` forces a batch's files with one syncfs of their file system (found in libc
    on Linux), not an fsync each: these machines and any Linux server take that path."""
    assert store._SYNCFS is not None
    paths = [store.put(tmp_path, bytes([n]), durable=False)[1] for n in range(20)]
    called, fsynced = [], []
    real = store._SYNCFS
    monkeypatch.setattr(store, "_SYNCFS", lambda fd: called.append(fd) or real(fd))
    monkeypatch.setattr(store.os, "fsync", fsynced.append)
    store.sync(paths)
    assert len(called) == 1 and not fsynced


def test_syncfs_is_used_only_where_it_reports_write_errors():
    """Before Linux 5.8 a failed write-back could go unreported by syncfs: files are fsynced."""
    assert store._linux_at_least(5, 8, "6.1.0-28-amd64") == sys.platform.startswith("linux")
    assert not store._linux_at_least(5, 8, "5.4.0-150-generic")
    assert not store._linux_at_least(5, 8, "4.19.0")


def test_without_syncfs_each_stored_file_and_folder_is_fsynced(tmp_path, monkeypatch):
    """Where there is no syncfs, every file of the batch and every folder holding one gets its
    own fsync."""
    paths = [store.put(tmp_path, bytes([n]), durable=False)[1] for n in range(20)]
    synced: list[tuple[int, int]] = []
    real = store.os.fsync
    monkeypatch.setattr(store, "_SYNCFS", None)
    monkeypatch.setattr(store.os, "fsync", lambda fd: synced.append(os.fstat(fd)[1:3]) or real(fd))
    store.sync(paths)
    expected = {os.stat(p)[1:3] for p in [*paths, *(p.parent for p in paths)]}
    assert set(synced) == expected and len(synced) == len(expected)


def test_a_failed_sync_records_no_receipt(inst, tmp_path, monkeypatch):
    """A batch whose files cannot be forced to disk (syncfs reports a write error) is not
    recorded: registration stops with the error and the registry holds none of its receipts,
    so a rerun stores and records the files again."""
    landing = tmp_path / "landing"
    for n in range(3):
        path = landing / "placements" / f"250000{n}" / "2025-26" / "roster.csv"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"lea_id\n250000%d\n" % n)

    def failing(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    real = store._SYNCFS
    monkeypatch.setattr(store, "_SYNCFS", failing)
    with _registry(inst) as reg:
        with pytest.raises(OSError, match="syncfs failed"):
            register_landing(landing, reg, submitter=OPERATOR)
        assert reg.receipts() == []
        monkeypatch.setattr(store, "_SYNCFS", real)
        assert sum(register_landing(landing, reg, submitter=OPERATOR).new.values()) == 3


def _registry(inst) -> Registry:
    return open_registry(inst)


KEY = DeclaredKey("placements", "2500001", "2025-26")


def test_identical_bytes_are_recognised(inst):
    with _registry(inst) as reg:
        first = reg.receive(b"a,b\n", KEY, original_name="r.csv", submitter=OPERATOR)
        again = reg.receive(b"a,b\n", KEY, original_name="copy.csv", submitter=OPERATOR)
        other_key = reg.receive(
            b"a,b\n",
            DeclaredKey("placements", "2500002", "2025-26"),
            original_name="r.csv",
            submitter=OPERATOR,
        )
        assert first.outcome == "new"
        assert (again.outcome, again.submission_id) == ("duplicate", first.submission_id)
        assert other_key.outcome == "new"
        assert len(reg.submissions()) == 2
        assert [r["outcome"] for r in reg.receipts()] == ["new", "duplicate", "new"]


def _accept(reg, sid):
    return reg.record_outcome(sid, [], 3)


def _reject(reg, sid):
    bad = Finding(sid, "placements.x.y", "blocking", "bad", "ref", "x", 2, (2, 3), ("a", "b"))
    return reg.record_outcome(sid, [bad], 3)


def test_latest_accepted_submission_is_in_force(inst):
    with _registry(inst) as reg:
        s1 = reg.receive(b"v1", KEY, original_name="v1.csv", submitter=OPERATOR).submission_id
        s2 = reg.receive(b"v2", KEY, original_name="v2.csv", submitter=OPERATOR).submission_id
        s3 = reg.receive(b"v3", KEY, original_name="v3.csv", submitter=OPERATOR).submission_id
        assert _accept(reg, s1) == "accepted"
        assert _accept(reg, s2) == "accepted"
        assert _reject(reg, s3) == "rejected"
        statuses = {s.submission_id: s.status for s in reg.submissions()}
        assert statuses == {s1: "superseded", s2: "accepted", s3: "rejected"}
        assert reg.in_force("placements")[KEY].submission_id == s2
        assert reg.submission(s1).superseded_by == s2
        assert [f.sample_rows for f in reg.findings(s3)] == [(2, 3)]
        assert reg.submission(s3).error_count == 2
        events = [e["event"] for e in reg.events(s1)]
        assert events == ["received", "accepted", "superseded"]


def test_an_older_file_accepted_late_does_not_displace_a_newer_one(inst):
    with _registry(inst) as reg:
        s1 = reg.receive(b"v1", KEY, original_name="v1.csv", submitter=OPERATOR).submission_id
        s2 = reg.receive(b"v2", KEY, original_name="v2.csv", submitter=OPERATOR).submission_id
        _accept(reg, s2)
        assert _accept(reg, s1) == "superseded"
        assert reg.in_force("placements")[KEY].submission_id == s2


def test_resending_a_superseded_file_makes_a_new_submission(inst):
    with _registry(inst) as reg:
        s1 = reg.receive(b"v1", KEY, original_name="v1.csv", submitter=OPERATOR).submission_id
        _accept(reg, s1)
        s2 = reg.receive(b"v2", KEY, original_name="v2.csv", submitter=OPERATOR).submission_id
        _accept(reg, s2)
        back = reg.receive(b"v1", KEY, original_name="v1.csv", submitter=OPERATOR)
        assert back.outcome == "new" and back.submission_id not in (s1, s2)


def test_register_landing_routes_keeps_everything_and_rescans_safely(inst, tmp_path):
    landing = tmp_path / "landing"
    files = {
        "placements/2500001/2025-26/a.csv": b"x",
        "placements/2500001/2025-26/a_copy.csv": b"x",
        "reference/leas.csv": b"y",
        "misc/notes.txt": b"z",
        "_manifest.json": b"{}",
    }
    for rel, data in files.items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_bytes(data)
    assert [p.name for p in walk(landing)] == ["notes.txt", "a.csv", "a_copy.csv", "leas.csv"]
    with _registry(inst) as reg:
        summary = register_landing(landing, reg, submitter=OPERATOR)
        assert dict(summary.new) == {"placements": 1, "leas": 1}
        assert summary.duplicates == 1
        assert [p for p, _ in summary.unroutable] == ["misc/notes.txt"]
        again = register_landing(landing, reg, submitter=OPERATOR)
        assert again.already_seen == 4 and not again.new
        assert len(reg.receipts()) == 4
        # every received byte is in the store, unroutable ones included
        assert all(store.stored_path(inst.store, r["sha256"]).exists() for r in reg.receipts())


def test_a_file_is_received_when_it_reached_the_landing_folder(inst, tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "placements" / "2500001" / "2025-26"
    folder.mkdir(parents=True)
    old, future = folder / "sent_in_december.csv", folder / "clock_ahead.csv"
    old.write_bytes(b"a")
    future.write_bytes(b"b")
    december = dt.datetime(2025, 12, 10, 14, 30)
    stamp = december.replace(tzinfo=dt.UTC).timestamp()
    os.utime(old, (stamp, stamp))
    os.utime(future, (stamp + 10**9, stamp + 10**9))  # a sender's clock years ahead
    with _registry(inst) as reg:
        register_landing(landing, reg, submitter=OPERATOR)
        got = {s.original_name: s.received_at for s in reg.submissions()}
        receipts = {r["original_name"]: r["received_at"] for r in reg.receipts()}
    assert got["sent_in_december.csv"] == receipts["sent_in_december.csv"]
    assert got["sent_in_december.csv"].startswith("2025-12-10T14:30:00")
    assert got["clock_ahead.csv"] <= dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()


def test_a_file_over_the_size_limit_is_refused_at_registration_without_being_read(
    inst, tmp_path, monkeypatch
):
    """A huge file in the landing folder is never read into memory (the profile's
    limits.max_file_mb), and says why; files within the limit are registered as usual."""
    from sped.ingest.limits import Limits
    from sped.run import steps

    landing = tmp_path / "landing"
    folder = landing / "placements" / "2500001" / "2025-26"
    folder.mkdir(parents=True)
    (folder / "huge.csv").write_bytes(b"a" * 3_000_000)
    (folder / "ok.csv").write_bytes(b"a" * 1_000)
    read = []
    real = steps.read_regular
    monkeypatch.setattr(steps, "read_regular", lambda p, **kw: read.append(p.name) or real(p, **kw))
    with _registry(inst) as reg:
        summary = register_landing(landing, reg, submitter=OPERATOR, limits=Limits(max_file_mb=2))
        assert dict(summary.new) == {"placements": 1}
        [(path, why)] = summary.refused
        assert path.endswith("huge.csv") and "over the file size limit of 2 MB" in why
        assert [s.original_name for s in reg.submissions()] == ["ok.csv"]
    assert read == ["ok.csv"]
