"""The warehouse always ends up holding exactly the submissions the registry has in force: a
load lost to a crash is reloaded from the stored files by the next run (outcomes unchanged),
leftover rows of submissions no longer in force are removed, and a damaged stored file stops the
collection with a clear message instead of being read."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sped.contracts import get
from sped.ingest.batch import process_collection
from sped.landing import store
from sped.landing.layout import DeclaredKey
from sped.run.steps import connect, open_registry
from tests.state_channel import OPERATOR

AS_OF = dt.date(2026, 11, 1)
LEAS = DeclaredKey("leas", None, "current")
ALLOC = DeclaredKey("allocations", None, "2026")
ALLOC_25 = DeclaredKey("allocations", None, "2025")
HEADER = "lea_id,fiscal_year,idea_611_subgrant,idea_619_subgrant\n"


def _alloc(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _send(inst, key, data: bytes, name: str) -> int:
    with open_registry(inst) as reg:
        return reg.receive(data, key, original_name=name, submitter=OPERATOR).submission_id


def _run(inst, profile, name: str = "allocations"):
    with open_registry(inst) as reg:
        con = connect(inst)
        try:
            return process_collection(con, reg, get(name), profile, AS_OF)
        finally:
            con.close()


def _rows(inst, sql: str = "SELECT _submission_id, lea_id FROM raw.allocations ORDER BY 1, 2"):
    con = connect(inst)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _statuses(inst) -> list[str]:
    with open_registry(inst) as reg:
        return [s.status for s in reg.submissions(collection="allocations")]


@pytest.fixture
def loaded(inst, profile):
    """Two fiscal years of allocations accepted and loaded; the LEA directory too."""
    _send(inst, LEAS, b"lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n", "leas.csv")
    _run(inst, profile, "leas")
    a = _send(inst, ALLOC, _alloc("2500001,2026,100.00,10.00"), "a.csv")
    b = _send(inst, ALLOC_25, _alloc("2500001,2025,90.00,9.00", "2500002,2025,1.00,1.00"), "b.csv")
    _run(inst, profile)
    assert _rows(inst) == [(a, "2500001"), (b, "2500001"), (b, "2500002")]
    return a, b


def test_accepted_rows_lost_from_the_warehouse_are_reloaded_from_the_store(inst, profile, loaded):
    _a, b = loaded
    before = _rows(inst, "SELECT * FROM raw.allocations ORDER BY _submission_id, lea_id")
    con = connect(inst)
    con.execute("DELETE FROM raw.allocations WHERE _submission_id = ?", [b])  # a lost load
    con.close()
    result = _run(inst, profile)
    assert (result.reloaded, result.rows_reloaded, result.submissions) == (1, 2, 0)
    assert _rows(inst, "SELECT * FROM raw.allocations ORDER BY _submission_id, lea_id") == before
    assert _statuses(inst) == ["accepted", "accepted"]  # no outcome changed
    with open_registry(inst) as reg:
        events = [e["event"] for e in reg.events(b)]
    assert events == ["received", "accepted", "reloaded"]
    assert _run(inst, profile).reloaded == 0  # in step now: nothing more to do


@pytest.mark.parametrize("part_bytes", [1, 2**30])
def test_a_reload_read_in_parts_reloads_every_row(inst, profile, loaded, monkeypatch, part_bytes):
    """Files to reload are read one part at a time (sped/ingest/parts.py; here each file its
    own part, or all in one) and loaded together: the same rows either way."""
    from sped.ingest import parts

    monkeypatch.setattr(parts, "PART_BYTES", part_bytes)
    before = _rows(inst, "SELECT * FROM raw.allocations ORDER BY _submission_id, lea_id")
    con = connect(inst)
    con.execute("DELETE FROM raw.allocations")  # both loads lost
    con.close()
    result = _run(inst, profile)
    assert (result.reloaded, result.rows_reloaded) == (2, 3)
    assert _rows(inst, "SELECT * FROM raw.allocations ORDER BY _submission_id, lea_id") == before


def test_rows_of_a_submission_no_longer_in_force_are_removed(inst, profile, loaded):
    a, b = loaded
    c = _send(inst, ALLOC, _alloc("2500001,2026,200.00,20.00"), "c.csv")
    _run(inst, profile)
    assert _statuses(inst) == ["superseded", "accepted", "accepted"]
    con = connect(inst)  # a crash left the superseded file's rows behind
    con.execute("INSERT INTO raw.allocations SELECT * REPLACE (? AS _submission_id) "
                "FROM raw.allocations WHERE _submission_id = ?", [a, c])  # fmt: skip
    con.close()
    result = _run(inst, profile)
    assert (result.unloaded, result.rows_removed) == (1, 1)
    assert _rows(inst) == [(b, "2500001"), (b, "2500002"), (c, "2500001")]


def test_an_accepted_file_with_no_rows_empties_its_key(inst, profile, loaded):
    _a, b = loaded
    empty = _send(inst, ALLOC, HEADER.encode(), "none.csv")  # header only: a warning, accepted
    _run(inst, profile)
    with open_registry(inst) as reg:
        assert reg.submission(empty).status == "accepted"
    assert _rows(inst) == [(b, "2500001"), (b, "2500002")]


def test_a_damaged_stored_file_stops_the_collection_before_it_is_read(inst, profile, loaded):
    a, b = loaded
    c = _send(inst, ALLOC, _alloc("2500001,2026,300.00,30.00"), "c.csv")
    with open_registry(inst) as reg:
        path = store.stored_path(inst.store, reg.submission(c).sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"300.00", b"999.00"))
    with pytest.raises(store.StoreIntegrityError, match=f"submission {c} .*SHA-256"):
        _run(inst, profile)
    assert _statuses(inst) == ["accepted", "accepted", "received"]  # nothing decided
    assert _rows(inst) == [(a, "2500001"), (b, "2500001"), (b, "2500002")]
    # a damaged file in force stops it too, even with nothing pending
    _send(inst, ALLOC, _alloc("2500001,2026,300.00,30.00"), "c.csv")  # repairs the copy
    _run(inst, profile)
    with open_registry(inst) as reg:
        path = store.stored_path(inst.store, reg.submission(b).sha256)
    path.chmod(0o644)
    path.write_bytes(b"lea_id\n")
    with pytest.raises(store.StoreIntegrityError, match="restore the store from a backup"):
        _run(inst, profile)


def test_unchanged_stored_files_are_not_read_again_and_an_edit_is_still_caught(
    inst, profile, loaded, monkeypatch
):
    """A run checks every stored file in force, but one whose stat is the one recorded when
    it was last found intact is not hashed again; an edit is caught whatever the edit did to
    its modification time (the change time moves with any write)."""
    _a, b = loaded
    hashed: list[str] = []
    real = store.sha256_file
    monkeypatch.setattr(store, "sha256_file", lambda p: hashed.append(p.name) or real(p))
    _run(inst, profile)
    assert hashed == []  # both in force, both found intact before: not read
    with open_registry(inst) as reg:
        path = store.stored_path(inst.store, reg.submission(b).sha256)
    before = path.stat()
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"90.00", b"99.00"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the edit hides its time
    with pytest.raises(store.StoreIntegrityError, match=f"submission {b} .*SHA-256"):
        _run(inst, profile)
    assert hashed == [path.name]


SCRIPT = """
import datetime as dt, sys
from sped.contracts import get
from sped.ingest.batch import process_collection
from sped.config.profile import load_profile
from sped.config.settings import Installation
from sped.run.steps import connect, open_registry
inst = Installation(__import__("pathlib").Path(sys.argv[1]))
with open_registry(inst) as reg:
    con = connect(inst)
    process_collection(con, reg, get("allocations"), load_profile(), dt.date(2026, 11, 1))
    con.close()
"""


@pytest.mark.slow
def test_sigkill_after_the_outcome_is_recorded_loses_nothing(inst, profile, loaded, tmp_path):
    """A real SIGKILL of a loading process right after the registry recorded an outcome, before
    the warehouse loaded the rows: the next run loads them."""
    _a, b = loaded
    c = _send(inst, ALLOC, _alloc("2500001,2026,400.00,40.00", "2500002,2026,4.00,4.00"), "c.csv")
    signal_file = tmp_path / "paused"
    env = {
        **os.environ,
        "SPED_PAUSE_AT": "recorded:allocations",
        "SPED_PAUSE_FILE": str(signal_file),
    }
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(inst.warehouse)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not signal_file.exists():
            assert proc.poll() is None, "the run ended before the kill point"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _statuses(inst) == ["superseded", "accepted", "accepted"]  # recorded ...
    assert (c, "2500001") not in _rows(inst)  # ... not loaded
    result = _run(inst, profile)  # the next run
    assert (result.reloaded, result.unloaded) == (1, 1)
    assert _rows(inst) == [(b, "2500001"), (b, "2500002"), (c, "2500001"), (c, "2500002")]


def test_failpoints_are_inert_without_the_environment(monkeypatch, tmp_path):
    from sped.process import failpoints

    monkeypatch.delenv("SPED_PAUSE_AT", raising=False)
    failpoints.reached("recorded:allocations")  # returns at once
    monkeypatch.setenv("SPED_PAUSE_AT", "other")
    monkeypatch.setenv("SPED_PAUSE_FILE", str(tmp_path / "x"))
    failpoints.reached("recorded:allocations")
    assert not Path(tmp_path / "x").exists()


def test_a_finished_step_settles_its_collection_until_its_inputs_change(inst, profile, loaded):
    """What `sped pipeline --changed-only` passes by (sped/ingest/settled.py)."""
    from sped.ingest.settled import to_visit

    def visit(as_of: dt.date = AS_OF) -> list[str]:
        con = connect(inst)
        try:
            with open_registry(inst) as reg:
                return to_visit(con, reg, profile, as_of)
        finally:
            con.close()

    for directory in ("facilities", "private_schools"):  # empty, but visited once
        _run(inst, profile, directory)
    first = visit()
    assert "leas" not in first and "allocations" not in first
    assert "placements" in first  # never visited: not settled
    _send(inst, ALLOC, _alloc("2500001,2026,300.00,30.00"), "new.csv")
    assert "allocations" in visit() and "leas" not in visit()  # a pending file
    _run(inst, profile)
    assert "allocations" not in visit()
    con = connect(inst)  # as a step interrupted after its first act leaves it: unsettled
    con.execute("DELETE FROM raw.collections_settled WHERE collection = 'allocations'")
    con.close()
    assert "allocations" in visit()
    _run(inst, profile)
    _send(inst, LEAS, b"lea_id,name,county,lea_type\n2500001,B,X,REGULAR\n", "leas2.csv")
    _run(inst, profile, "leas")
    assert {"allocations", "facilities", "private_schools"} <= set(visit())  # they read the LEAs
    assert "leas" not in visit()
    assert "leas" in visit(AS_OF + dt.timedelta(days=1))  # rules are judged as of a day
