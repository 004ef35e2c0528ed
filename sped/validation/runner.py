"""Running the suites: one GX validation per collection over the whole pending batch.

GX decides which rules fail over the batch; for each failing rule the rule's own predicate,
grouped by submission, says which submissions and rows (first `SAMPLE_SIZE`, ascending) broke
it, so every finding is attributed to its file and row numbers. The GX context and suites are
built per call (about 0.1 s), and GX's connection is released at the end so dbt can lock the
warehouse next. Values of `student_id` columns never appear in findings.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import duckdb
import great_expectations as gx

from sped.contracts import Collection, Rule, get
from sped.findings import SAMPLE_SIZE, Finding
from sped.profile import StateProfile
from sped.validation.gx_duckdb import enable_persisted_connection, release
from sped.validation.rule_sql import failures_query
from sped.validation.suites import build_suite

log = logging.getLogger("sped.validation")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
MASKED_COLUMNS = {"student_id"}


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if not row or not row[0]:
        raise ValueError("validation needs a warehouse file, not an in-memory database")
    return row[0]


def attribute(
    con: duckdb.DuckDBPyConnection,
    rule: Rule,
    collection: Collection,
    table: str,
    params: dict,
    sample: int = SAMPLE_SIZE,
) -> list[Finding]:
    """One finding per submission whose rows break `rule`."""
    column = rule.columns[0] if rule.columns else None
    findings = []
    for sid, failed, rows, values in con.execute(
        failures_query(rule, collection, table, params, sample)
    ).fetchall():
        shown = tuple("***" if column in MASKED_COLUMNS else str(v) for v in values)
        findings.append(
            Finding(
                submission_id=sid,
                rule_id=rule.id,
                severity=rule.severity,
                text=rule.text,
                reference=rule.reference,
                column=column,
                failed_count=failed,
                sample_rows=tuple(rows),
                sample_values=shown,
            )
        )
    return findings


def run_gx(
    path: str, collection: Collection, table: str, profile: StateProfile, as_of: dt.date
) -> list[str]:
    """Rule ids whose expectation failed on the batch table, as GX judges them."""
    enable_persisted_connection()
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_sql("warehouse", connection_string=f"duckdb:///{path}")
    try:
        asset = source.add_query_asset(collection.name, query=f"SELECT * FROM {table}")
        batch = asset.add_batch_definition_whole_table("pending")
        suite = context.suites.add(build_suite(collection, profile, as_of))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{collection.name}_batch", data=batch, suite=suite)
        )
        result = definition.run(result_format="BOOLEAN_ONLY")
    finally:
        release(source)
    failed = []
    for r in result.results:
        rule_id = r.expectation_config.meta["rule_id"]
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"GX could not evaluate {rule_id}: {r.exception_info.get('exception_message')}"
            )
        if not r.success:
            failed.append(rule_id)
    return failed


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    profile: StateProfile,
    as_of: dt.date,
    *,
    table: str | None = None,
    sample: int = SAMPLE_SIZE,
) -> list[Finding]:
    """Every file-stage rule over the batch (default landing.<collection>), one GX run.
    `sample` bounds the rows each finding lists (the annotated download asks for all)."""
    coll = get(collection)
    table = table or f"landing.{collection}"
    params = {**profile.sql_params(as_of), "roster": "raw.placements"}
    failed = run_gx(_database_path(con), coll, table, profile, as_of)
    findings: list[Finding] = []
    for rule_id in failed:
        findings += attribute(con, coll.rule(rule_id), coll, table, params, sample)
    log.info("%s: %d rules failed over the batch", collection, len(failed))
    return findings


def validate_cross(
    con: duckdb.DuckDBPyConnection,
    collection: str,
    profile: StateProfile,
    as_of: dt.date,
    *,
    table: str | None = None,
) -> list[Finding]:
    """Cross-collection rules, after load, over the data in force (default raw.<collection>)."""
    coll = get(collection)
    table = table or f"raw.{collection}"
    params = {**profile.sql_params(as_of), "roster": "raw.placements"}
    findings: list[Finding] = []
    for rule in coll.rules:
        if rule.stage == "cross":
            findings += attribute(con, rule, coll, table, params)
    return findings
