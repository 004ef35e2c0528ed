"""The two entry points: validate a pending batch (file-stage rules, one GX run) and re-check
the accepted data against other collections (cross-stage rules, one GX run).

`validate_batch` runs the collection's GX suite once over the whole batch table; GX decides
which rules fail, and `attribution` turns each failed rule into one finding per submission with
its rows. The rows attributed must add up to GX's own count of unexpected rows, else
`AttributionMismatch`: a rule GX failed never goes unreported. `validate_cross` does the same
with the collection's cross suite over the accepted rows in raw.*. Only failed rules cost an
extra query, so a clean batch is one GX run. Row values are never logged.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb

from sped.config.profile import StateProfile
from sped.contracts import get
from sped.contracts.findings import SAMPLE_SIZE, Finding
from sped.validation.attribution import attribute
from sped.validation.gx_duckdb import require_shared_config
from sped.validation.gx_runtime import run_suite
from sped.validation.rule_sql import rule_params
from sped.validation.suites import stage_rules

log = logging.getLogger("sped.validation")


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    require_shared_config(con)
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if not row or not row[0]:
        raise ValueError("validation needs a warehouse file, not an in-memory database")
    return row[0]


class AttributionMismatch(RuntimeError):
    """The rows attributed to submissions are not the rows GX counted: a bug, never data."""


def _check_agreement(rule_id: str, gx_count: int | None, attributed: int) -> None:
    """GX decides; the findings must account for exactly the rows GX found unexpected."""
    if gx_count is not None and gx_count != attributed:
        raise AttributionMismatch(
            f"{rule_id}: GX counted {gx_count} unexpected rows, attribution found {attributed}"
        )


def _run(con, collection, profile, as_of, table, stage, sample) -> list[Finding]:
    """One GX run of the stage's suite over `table`, then findings for the failed rules."""
    coll = get(collection)
    failed = run_suite(_database_path(con), coll, table, profile, as_of, stage=stage)
    params = rule_params(profile.sql_params(as_of))
    findings: list[Finding] = []
    for rule in coll.rules:
        if rule.id in failed:
            found = attribute(con, rule, coll, table, params, sample)
            _check_agreement(rule.id, failed[rule.id], sum(f.failed_count for f in found))
            findings += found
    log.info("%s (%s stage): %d rules failed", collection, stage, len(failed))
    return findings


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    profile: StateProfile,
    as_of: dt.date,
    *,
    table: str | None = None,
    sample: int = SAMPLE_SIZE,
) -> list[Finding]:
    """Every file-stage rule over the batch (default `landing.<collection>`) in one GX run;
    one finding per (submission, failed rule). `sample` bounds the rows each finding lists
    (0: all of them, for the annotated download)."""
    return _run(con, collection, profile, as_of, table or f"landing.{collection}", "file", sample)


def validate_cross(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    profile: StateProfile,
    as_of: dt.date,
    *,
    table: str | None = None,
) -> list[Finding]:
    """Cross-stage rules over the accepted data (default `raw.<collection>`) in one GX run of
    the collection's cross suite; `{roster}` in their SQL is raw.placements."""
    if not stage_rules(get(collection), "cross"):
        return []
    table = table or f"raw.{collection}"
    return _run(con, collection, profile, as_of, table, "cross", SAMPLE_SIZE)
