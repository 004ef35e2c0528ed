"""Each contract rule as SQL over a batch: a predicate that is TRUE for a row breaking the rule.

The batch table holds the typed rows of many submissions (`landing.<collection>`, or
`raw.<collection>` for cross-collection rules) with `_submission_id`, `_source_row`, `_lea_id`
and `_period`. The predicates follow GX's semantics for the native expectations, so that the
rows attributed to a submission are exactly the rows GX counts as unexpected:

- a rule never fails on a NULL in its own column (GX ignores missing values in column-map
  expectations; `not_null` rules say when a value is required);
- `regex` is a search (`regexp_matches`), as `ExpectColumnValuesToMatchRegex` means it;
  contract patterns are anchored, so this is a full match for them;
- `unique` flags every row of a duplicated value within one submission, as
  `ExpectCompoundColumnsToBeUnique` over (`_submission_id`, columns) does;
- `single_value` flags the rows whose value differs from the file's most common one.
"""

from __future__ import annotations

from typing import Any

from sped.contracts import Collection, Rule

#: What `{roster}` means in cross-stage rules: the accepted placement rosters.
ROSTER = "raw.placements"


def rule_params(profile_params: dict[str, Any]) -> dict[str, Any]:
    """The values rule SQL is rendered with: the profile's, plus `{roster}`."""
    return {**profile_params, "roster": ROSTER}


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def render_pattern(pattern: str, params: dict[str, Any]) -> str:
    """A rule's regex with the profile's `{lea_id_pattern}` filled in."""
    return pattern.replace("{lea_id_pattern}", params["lea_id_pattern"])


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
        pattern = _quote(render_pattern(p["pattern"], params))
        return f"{col} IS NOT NULL AND NOT regexp_matches({col}, {pattern})"
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
        return f"{not_null} AND count(*) OVER (PARTITION BY _submission_id, {cols}) > 1"
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


def unexpected_rows_query(rule: Rule, collection: Collection, params: dict[str, Any]) -> str:
    """The rows of GX's `{batch}` that break the rule (for `UnexpectedRowsExpectation`).

    `{batch}` is wrapped, not aliased: GX substitutes a query asset as `(...) AS subselect`.
    GX fills the query with `str.format`, so the predicate's own braces (regex `{1,20}`) are
    doubled."""
    bad = predicate(rule, collection, params).replace("{", "{{").replace("}", "}}")
    return (
        "SELECT _submission_id, _source_row FROM (SELECT _submission_id, _source_row, "
        f"coalesce({bad}, false) AS bad FROM (SELECT * FROM {{batch}}) AS b) WHERE bad"
    )


def failures_query(
    rule: Rule, collection: Collection, table: str, params: dict[str, Any], sample: int
) -> str:
    """Per submission: how many rows break the rule, the first rows and their values, and the
    rule's `expected` sentence for the submission's rows (NULL when the rule has none)."""
    value_col = rule.columns[0] if rule.columns else None
    value = f'CAST(b."{value_col}" AS VARCHAR)' if value_col else "NULL"
    limit = f"[1:{sample}]" if sample else ""
    expected = rule.params.get("expected")
    expected = f"({expected.format(**params)})" if expected else "CAST(NULL AS VARCHAR)"
    return f"""
        WITH flagged AS (
            SELECT b._submission_id, b._source_row, {value} AS v,
                   coalesce({predicate(rule, collection, params)}, false) AS bad,
                   {expected} AS expected
            FROM {table} AS b
        )
        SELECT _submission_id,
               count(*) AS failed,
               list(_source_row ORDER BY _source_row){limit} AS rows,
               list(coalesce(v, '') ORDER BY _source_row){limit} AS vals,
               min(expected) AS expected
        FROM flagged
        WHERE bad
        GROUP BY _submission_id
        ORDER BY _submission_id
    """
