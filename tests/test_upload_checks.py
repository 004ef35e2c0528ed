"""The portal's check of an upload is one row of the registry (sped/landing/upload_checks.py):
what the district was shown and, when the rules finished, their findings with the digest the
run reuses. A registry from before kept that digest in a table of its own; opening it moves the
rows over."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from sped.contracts.findings import Finding
from sped.landing.registry import Registry

WARNING = Finding(7, "R2", "warning", "a warning", "docs/rules/contracts.md", failed_count=1)
READING = Finding(7, "file.encoding", "warning", "read as latin-1", "docs/rules/files.md")


def _tables(path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def test_one_row_keeps_what_the_district_saw_and_what_the_run_may_reuse(tmp_path):
    with Registry(tmp_path / "registry.sqlite", tmp_path / "store", create=True) as reg:
        reg.record_upload_check(7, "accepted_with_warnings", 3, [READING, WARNING], "d1", [WARNING])
        other = dataclasses.replace(WARNING, submission_id=8)
        reg.record_upload_check(8, "accepted_with_warnings", 3, [other])  # rules unfinished
        assert reg.upload_check(7) == ("accepted_with_warnings", [READING, WARNING])
        assert reg.upload_check(8) == ("accepted_with_warnings", [other])
        assert reg.upload_check(9) is None
        assert reg.upload_rule_findings([7, 8, 9]) == {7: ("d1", [WARNING])}
        assert reg.upload_rule_findings([]) == {}
    assert "file_checks" not in _tables(tmp_path / "registry.sqlite")


def test_an_older_registry_keeps_its_checks_in_the_one_table(tmp_path):
    path = tmp_path / "registry.sqlite"
    Registry(path, tmp_path / "store", create=True).close()
    con = sqlite3.connect(path)  # the layout of a registry from before: two tables
    con.executescript(
        """
        DROP TABLE upload_checks;
        CREATE TABLE upload_checks (submission_id INTEGER PRIMARY KEY, checked_at TEXT NOT NULL,
            verdict TEXT NOT NULL, row_count INTEGER NOT NULL, findings TEXT NOT NULL);
        CREATE TABLE file_checks (submission_id INTEGER PRIMARY KEY, inputs TEXT NOT NULL,
            findings TEXT NOT NULL, checked_at TEXT NOT NULL);
        """
    )
    shown = json.dumps([READING.to_dict(), WARNING.to_dict()])
    con.execute(
        "INSERT INTO upload_checks VALUES (7, 't', 'accepted_with_warnings', 3, ?)", (shown,)
    )
    con.execute("INSERT INTO upload_checks VALUES (8, 't', 'accepted', 2, '[]')")
    con.execute(
        "INSERT INTO file_checks VALUES (7, 'd1', ?, 't')", (json.dumps([WARNING.to_dict()]),)
    )
    con.commit()
    con.close()
    for _ in range(2):  # the second opening finds nothing left to move
        with Registry(path, tmp_path / "store") as reg:
            assert reg.upload_check(7) == ("accepted_with_warnings", [READING, WARNING])
            assert reg.upload_check(8) == ("accepted", [])
            assert reg.upload_rule_findings([7, 8]) == {7: ("d1", [WARNING])}
        assert "file_checks" not in _tables(path)
