"""Each contract rule as SQL over a batch: a predicate that is TRUE for a row breaking the rule.

The batch table holds the typed rows of many submissions (`landing.<collection>`, or
`raw.<collection>` for cross-collection rules) with `_submission_id`, `_source_row`, `_lea_id`
and `_period`. A rule never fails on a NULL in its own column: `not_null` rules say that.
`unique` and `single_value` are per submitted file, never across the batch.
"""

from __future__ import annotations

from typing import Any

from sped.contracts import Collection, Rule


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def predicate(rule: Rule, collection: Collection, params: dict[str, Any]) -> str:
    """SQL that is TRUE for a bad row; may use window functions (evaluate in a SELECT list)."""
    p = rule.params
    col = f'"{p["column"]}"' if "column" in p else None
    kind = rule.kind
    if kind == "not_null":
        return f"{col} IS NULL"
    if kind == "in_set":
        return f"{col} IS NOT NULL AND {col} NOT IN ({', '.join(map(_quote, p['codes']))})"
    if kind == "regex":
        pattern = p["pattern"].replace("{lea_id_pattern}", params["lea_id_pattern"])
        return f"{col} IS NOT NULL AND NOT regexp_full_match({col}, {_quote(pattern)})"
    if kind == "between":
        parts = []
        if p.get("min") is not None:
            parts.append(f"{col} < {p['min']}")
        if p.get("max") is not None:
            parts.append(f"{col} > {p['max']}")
        return f"{col} IS NOT NULL AND ({' OR '.join(parts)})"
    if kind == "matches_key":
        if p["key"] == "lea_id":
            return f"{col} IS NOT NULL AND {col} <> _lea_id"
        if collection.column(p["column"]).type == "integer":
            return f"{col} IS NOT NULL AND {col} <> TRY_CAST(_period AS BIGINT)"
        return f"{col} IS NOT NULL AND {col} <> _period"
    if kind == "single_value":
        return f"{col} IS NOT NULL AND {col} <> mode({col}) OVER (PARTITION BY _submission_id)"
    if kind == "unique":
        cols = ", ".join(f'"{c}"' for c in p["columns"])
        not_null = " AND ".join(f'"{c}" IS NOT NULL' for c in p["columns"])
        return (
            f"{not_null} AND row_number() OVER (PARTITION BY _submission_id, {cols} "
            "ORDER BY _source_row) > 1"
        )
    if kind == "in_directory":
        when = f" AND ({p['when']})" if p.get("when") else ""
        return (
            f"{col} IS NOT NULL{when} AND {col} NOT IN "
            f"(SELECT {p['directory_column']} FROM raw.{p['directory']} "
            f"WHERE {p['directory_column']} IS NOT NULL)"
        )
    if kind == "sql":
        return "(" + p["sql"].format(**params) + ")"
    raise ValueError(f"rule {rule.id}: unknown kind {kind!r}")


def failures_query(
    rule: Rule, collection: Collection, table: str, params: dict[str, Any], sample: int
) -> str:
    """Per submission: how many rows break the rule, the first rows and their values."""
    value_col = rule.columns[0] if rule.columns else None
    value = f'CAST(b."{value_col}" AS VARCHAR)' if value_col else "NULL"
    return f"""
        WITH flagged AS (
            SELECT b._submission_id, b._source_row, {value} AS v,
                   coalesce({predicate(rule, collection, params)}, false) AS bad
            FROM {table} AS b
        )
        SELECT _submission_id,
               count(*) AS failed,
               list(_source_row ORDER BY _source_row)[1:{sample}] AS rows,
               list(coalesce(v, '') ORDER BY _source_row)[1:{sample}] AS vals
        FROM flagged
        WHERE bad
        GROUP BY _submission_id
        ORDER BY _submission_id
    """
