"""Registration skips the files it already hashed (same path, size and modification time) and
goes back to the checksum as soon as any of them differs (sped/landing/seen_files.py)."""

from __future__ import annotations

import os

from sped.landing import seen_files
from sped.run.steps import open_registry, register_landing
from tests.state_channel import OPERATOR

ROSTER = "placements/2500001/2025-26/roster.csv"


def _landing(tmp_path):
    landing = tmp_path / "landing"
    (landing / ROSTER).parent.mkdir(parents=True)
    (landing / ROSTER).write_bytes(b"version one\n")
    (landing / "reference").mkdir()
    (landing / "reference" / "leas.csv").write_bytes(b"leas\n")
    return landing


def test_a_file_as_it_was_hashed_is_not_read_again(inst, tmp_path):
    landing = _landing(tmp_path)
    path = landing / ROSTER
    with open_registry(inst) as reg:
        first = register_landing(landing, reg, submitter=OPERATOR)
        assert sum(first.new.values()) == 2
        stamps = seen_files.load(reg)
        assert set(stamps) == {ROSTER, "reference/leas.csv"}
        assert stamps[ROSTER].size_bytes == len(b"version one\n")
        # Same size and modification time: trusted without reading, so even changed bytes
        # (which no sender produces without also changing the time) are not looked at.
        before = path.stat()
        path.write_bytes(b"version two\n")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        again = register_landing(landing, reg, submitter=OPERATOR)
        assert again.already_seen == 2 and not again.new
        assert len(reg.receipts()) == 2


def test_any_difference_goes_back_to_the_checksum(inst, tmp_path):
    landing = _landing(tmp_path)
    path = landing / ROSTER
    with open_registry(inst) as reg:
        register_landing(landing, reg, submitter=OPERATOR)
        # touched, same bytes: hashed again, recognised, stamp renewed
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        touched = register_landing(landing, reg, submitter=OPERATOR)
        assert touched.already_seen == 2 and not touched.new
        assert seen_files.load(reg)[ROSTER].mtime_ns == path.stat().st_mtime_ns
        # new bytes of another size: a new submission
        path.write_bytes(b"version two, longer\n")
        changed = register_landing(landing, reg, submitter=OPERATOR)
        assert dict(changed.new) == {"placements": 1}
        assert seen_files.load(reg)[ROSTER].size_bytes == len(b"version two, longer\n")


def test_a_stamp_without_its_receipt_is_not_trusted(inst, tmp_path):
    """Stamps are only a shortcut to a receipt: in a registry that has the stamp but no receipt
    for the file, the file is read and registered."""
    landing = _landing(tmp_path)
    with open_registry(inst) as reg:
        stat = (landing / ROSTER).stat()
        seen_files.record(reg, {ROSTER: seen_files.Stamp.of(stat, "0" * 64)})
        summary = register_landing(landing, reg, submitter=OPERATOR)
        assert dict(summary.new) == {"placements": 1, "leas": 1}
