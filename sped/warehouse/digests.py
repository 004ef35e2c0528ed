"""Digests of warehouse rows, so `sped audit verify` can tell rows changed outside sped.

- `submission_digests`: for one raw (or landing) table, each submission's row count and a digest
  of its rows. A batch records them in the registry when it decides the submissions (from the
  typed rows it is about to load); verify recomputes them from `raw.<collection>`.
- `mart_digests`: a digest of every table in the published schemas (`marts`, `shared`), recorded
  in the trail's `published` event when the snapshot is published; verify recomputes them from
  the published snapshot.

A row's digest is the MD5 of its text as DuckDB casts the whole row (every column, lineage
included); a set of rows is digested as the SHA-256 of its row digests in sorted order, so the
order rows were written in does not matter and one changed value, an added or a removed row
does. The digests are the same whenever the same rows are typed by the same code (a reload
or a rebuild from the stored files gives them again); a version of sped or DuckDB that types or
prints a value differently changes them, and verify then names those submissions.
"""

from __future__ import annotations

import duckdb

#: The schemas readers are given (the published marts and shared tables).
PUBLISHED_SCHEMAS = ("marts", "shared")

_ROWS = "md5(CAST(t AS VARCHAR))"


def submission_digests(
    con: duckdb.DuckDBPyConnection, schema: str, table: str
) -> dict[int, tuple[int, str]]:
    """{submission id: (rows, digest)} of `schema.table` (names from the contracts only)."""
    rows = con.execute(
        f"SELECT _submission_id, count(*), "
        f"sha256(string_agg({_ROWS}, ',' ORDER BY {_ROWS})) "
        f"FROM {schema}.{table} AS t GROUP BY _submission_id"
    ).fetchall()
    return {int(sid): (int(n), digest) for sid, n, digest in rows}


def mart_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{schema.table: digest of its rows} for every table of the published schemas."""
    marks = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_schema IN ({marks}) AND table_type = 'BASE TABLE' "
        "ORDER BY table_schema, table_name",
        list(PUBLISHED_SCHEMAS),
    ).fetchall()
    out = {}
    for schema, name in tables:
        (digest,) = con.execute(
            f"SELECT count(*) || ':' || coalesce(sha256(string_agg({_ROWS}, ',' "
            f'ORDER BY {_ROWS})), \'\') FROM "{schema}"."{name}" AS t'
        ).fetchone()
        out[f"{schema}.{name}"] = digest
    return out
