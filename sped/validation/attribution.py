"""From a failed rule to findings: which submissions and rows broke it, and how many.

GX decides pass or fail over the whole batch; for each failed rule one grouped query, built from
the same predicate the suite uses (`rule_sql`), counts the failing rows per submission and lists
the first ones (`_source_row` ascending) with their values, and, for a rule that says what was
expected (the count day of the file's school year), that sentence after the rule's text. Values
of `student_id` columns are replaced by `***`: no student identifier leaves the warehouse in a
finding.
"""

from __future__ import annotations

from typing import Any

import duckdb

from sped.contracts import Collection, Rule
from sped.contracts.findings import SAMPLE_SIZE, Finding
from sped.validation.rule_sql import failures_query

MASKED_COLUMNS = frozenset({"student_id"})
MASK = "***"


def attribute(
    con: duckdb.DuckDBPyConnection,
    rule: Rule,
    collection: Collection,
    table: str,
    params: dict[str, Any],
    sample: int = SAMPLE_SIZE,
) -> list[Finding]:
    """One finding per submission whose rows break `rule`, ordered by submission id."""
    column = rule.columns[0] if rule.columns else None
    masked = column in MASKED_COLUMNS
    findings = []
    query = failures_query(rule, collection, table, params, sample)
    for sid, failed, rows, values, expected in con.execute(query).fetchall():
        findings.append(
            Finding(
                submission_id=sid,
                rule_id=rule.id,
                severity=rule.severity,
                text=f"{rule.text} {expected}" if expected else rule.text,
                reference=rule.reference,
                column=column,
                failed_count=failed,
                sample_rows=tuple(rows),
                sample_values=tuple(MASK if masked else str(v) for v in values),
            )
        )
    return findings
