"""A file's rules decided once: at upload, and reused by the run that loads the file.

The portal checks an uploaded file at once (sped/web/uploads.py) with the pipeline's own
functions: reading, typing, and the collection's file-stage rules in one GX run. The run that
then loads the file would decide the same rules over the same bytes again. It reuses the
upload's findings instead, when everything that decided them is unchanged:

- the file's bytes (the submission's SHA-256);
- the reference directories the rules read (`raw.leas`, `raw.facilities`,
  `raw.private_schools`), by content: the upload read the published copy, the run reads the
  warehouse, and any difference between them means the rules are checked again;
- the state profile, the as-of date and the code that decides findings
  (sped/ingest/settled.py `deciders`).

File-stage rules read nothing else: each reads one submission's rows (uniqueness is within the
file) and the directories; tests/test_contracts.py holds every rule to that. The digest of
those inputs is kept beside the findings, with the rest of the upload's check
(sped/landing/upload_checks.py). A batch is reused only
whole: if any pending file of the collection has no check, or one made under other inputs, the
run validates the whole batch as before. A check the upload could not finish (GX failed) is
never kept. The audit trail's `accepted` (or `rejected`) event of a file decided this way says
so: "(rules as checked at upload, same inputs)".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb

from sped.config.profile import StateProfile
from sped.contracts import REFERENCE_COLLECTIONS
from sped.contracts.findings import Finding
from sped.ingest.settled import deciders
from sped.landing.registry import Registry, Submission


def reference_digest(con: duckdb.DuckDBPyConnection) -> str:
    """The content of the reference directories in `con` (every column, every row)."""
    parts = [
        f"SELECT '{name}', count(*), md5(coalesce(string_agg(t::VARCHAR, chr(10) "
        f"ORDER BY t::VARCHAR), '')) FROM raw.{name} AS t"
        for name in REFERENCE_COLLECTIONS
    ]
    rows = con.execute(" UNION ALL ".join(parts)).fetchall()
    return json.dumps(sorted(rows))


def inputs(sha256: str, reference: str, profile: StateProfile, as_of: dt.date) -> str:
    """The digest of everything that decides one file's file-stage findings."""
    payload = {"file": sha256, "reference": reference, **deciders(profile, as_of)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def reusable(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    pending: list[Submission],
    profile: StateProfile,
    as_of: dt.date,
) -> list[Finding] | None:
    """The file-stage findings of the whole batch from the uploads' checks, or None when any
    pending file has no check made under today's inputs (the batch is then validated)."""
    if not pending:
        return None
    checks = registry.upload_rule_findings(s.submission_id for s in pending)
    if len(checks) < len(pending):
        return None
    reference = reference_digest(con)
    findings: list[Finding] = []
    for sub in pending:
        digest, found = checks[sub.submission_id]
        if digest != inputs(sub.sha256, reference, profile, as_of):
            return None
        findings += found
    return findings
