"""The file-stage rules of a batch from their SQL alone, without starting GX: for the one-file
check a district runs from the command line, where importing GX costs more than the check.

It is the pipeline's own code path minus GX's verdict: in the pipeline GX decides which rules
fail and `attribution` (the rule's SQL) lists the rows, and the two must agree on every count
(`runner.AttributionMismatch`). Here every rule's SQL runs and the rules with failing rows are
the failed ones, so the findings are the ones the pipeline would record for the same file
(tests/test_validation_sql_gate.py compares both on every rule kind).
"""

from __future__ import annotations

import datetime as dt

import duckdb

from sped.config.profile import StateProfile
from sped.contracts import get
from sped.contracts.findings import SAMPLE_SIZE, Finding
from sped.validation.attribution import attribute
from sped.validation.rule_sql import rule_params


def validate_batch_sql(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    profile: StateProfile,
    as_of: dt.date,
    *,
    table: str | None = None,
    sample: int = SAMPLE_SIZE,
) -> list[Finding]:
    """Every file-stage rule over the batch (default `landing.<collection>`), in the order and
    with the findings `runner.validate_batch` gives."""
    coll = get(collection)
    params = rule_params(profile.sql_params(as_of))
    table = table or f"landing.{collection}"
    findings: list[Finding] = []
    for rule in coll.rules:
        if rule.stage == "file":
            findings += attribute(con, rule, coll, table, params, sample)
    return findings
