"""What the portal's check of an uploaded file found, kept in the registry until the run that
loads the file decides it.

One row per submission the portal checked and did not reject (`upload_checks`):

- the verdict and every finding the district was shown (reading, typing and the rules), which
  the portal shows for the submission while it waits for the run;
- when the collection's file-stage rules finished, their findings alone, with the digest of
  everything that decided them (sped/ingest/file_checks.py): the run that loads the file reuses
  them while that digest still holds.

Both are written in one transaction, so they never disagree. A registry from before the digest
kept it in a table of its own (`file_checks`) beside a narrower `upload_checks`; `migrate`
moves it over.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from sped.contracts.findings import Finding

SCHEMA = """
CREATE TABLE IF NOT EXISTS upload_checks (
    submission_id INTEGER PRIMARY KEY,
    checked_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    findings TEXT NOT NULL,
    rule_inputs TEXT,
    rule_findings TEXT
);
"""
#: What a registry from before the digest lacks.
ADDED_COLUMNS = ("rule_inputs", "rule_findings")


def _columns(con: sqlite3.Connection) -> set[str]:
    return {r[1] for r in con.execute("PRAGMA table_info(upload_checks)").fetchall()}


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def migrate(con: sqlite3.Connection) -> None:
    """Create the table; give an older one the rule columns and move the separate
    `file_checks` rows into it (in one transaction; another process may be doing the same)."""
    con.executescript(SCHEMA)
    if set(ADDED_COLUMNS) <= _columns(con) and not _has_table(con, "file_checks"):
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        for column in ADDED_COLUMNS:
            if column not in _columns(con):
                con.execute(f"ALTER TABLE upload_checks ADD COLUMN {column} TEXT")
        if _has_table(con, "file_checks"):
            con.execute(
                "UPDATE upload_checks SET "
                "rule_inputs = (SELECT inputs FROM file_checks AS f "
                "WHERE f.submission_id = upload_checks.submission_id), "
                "rule_findings = (SELECT findings FROM file_checks AS f "
                "WHERE f.submission_id = upload_checks.submission_id)"
            )
            con.execute("DROP TABLE file_checks")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _findings_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings])


def record(
    con: sqlite3.Connection,
    submission_id: int,
    checked_at: str,
    verdict: str,
    row_count: int,
    findings: Iterable[Finding],
    rule_inputs: str | None = None,
    rule_findings: Iterable[Finding] = (),
) -> None:
    """Keep one upload's check (replacing an earlier one), inside the caller's transaction
    (`Registry.record_upload_check`). `rule_inputs` None: the rules did not finish, so there
    is nothing for the run to reuse."""
    con.execute(
        "INSERT OR REPLACE INTO upload_checks VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            submission_id,
            checked_at,
            verdict,
            row_count,
            _findings_json(findings),
            rule_inputs,
            None if rule_inputs is None else _findings_json(rule_findings),
        ),
    )


def shown(con: sqlite3.Connection, submission_id: int) -> tuple[str, list[Finding]] | None:
    """(verdict, findings) the district was shown for the submission, if it was checked."""
    row = con.execute(
        "SELECT verdict, findings FROM upload_checks WHERE submission_id = ?", (submission_id,)
    ).fetchone()
    if row is None:
        return None
    return row[0], [Finding.from_dict(submission_id, d) for d in json.loads(row[1])]


def rule_findings(
    con: sqlite3.Connection, submission_ids: Iterable[int]
) -> dict[int, tuple[str, list[Finding]]]:
    """Submission id -> (digest of what decided them, the file-stage rules' findings), for the
    submissions among these whose rules finished at upload."""
    ids = sorted(set(submission_ids))
    marks = ", ".join("?" for _ in ids)
    rows = con.execute(
        "SELECT submission_id, rule_inputs, rule_findings FROM upload_checks "
        f"WHERE rule_inputs IS NOT NULL AND submission_id IN ({marks})",
        ids,
    ).fetchall()
    return {
        sid: (inputs, [Finding.from_dict(sid, d) for d in json.loads(found)])
        for sid, inputs, found in rows
    }
