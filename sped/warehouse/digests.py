"""Digests of warehouse rows, so `sped audit verify` can tell rows changed outside sped.

- `submission_digests`: for one raw (or landing) table, each submission's row count and a digest
  of its rows. A batch records them in the registry when it decides the submissions (from the
  typed rows it is about to load); verify recomputes them from `raw.<collection>`.
- `mart_digests`: a digest of every table in the published schemas (`marts`, `shared`), recorded
  in the trail's `published` event when the snapshot is published; verify recomputes them from
  the published snapshot.

A row's digest is the MD5 of its text as DuckDB writes the row (every column, lineage
included); a set of rows is digested as the SHA-256 of its row digests in sorted order, so the
order rows were written in does not matter and one changed value, an added or a removed row
does. The digests are the same whenever the same rows are typed by the same code (a reload
or a rebuild from the stored files gives them again); a version of sped or DuckDB that types or
prints a value differently changes them, and verify then names those submissions.

Two versions of a row's text exist, and a digest says which it was made with, so that digests
recorded by an older sped are still checked as they were made:

- version 1 (a digest without prefix): the row cast as a struct, `{'lea_id': 2500001, ...}`,
  every column's name in every row's text;
- version 2 (`v2:` before the digest), made now: the row's values cast as an unnamed row,
  `(2500001, ...)`, in the table's column order. Half the text to hash: at the large scale a
  roster batch's digests took 2.7 s in version 1 and 1.4 s in version 2. DuckDB quotes a text
  value that holds a comma, a quote or the word NULL, in both versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import duckdb

#: The schemas readers are given (the published marts and shared tables).
PUBLISHED_SCHEMAS = ("marts", "shared")

#: The version digests are made with now.
CURRENT = 2
_PREFIX = {1: "", 2: "v2:"}


def version_of(digest: str) -> int:
    """The version a recorded digest was made with."""
    return 2 if digest.startswith(_PREFIX[2]) else 1


def versions_of(digests: Iterable[str]) -> set[int]:
    return {version_of(d) for d in digests}


def _row_text(con: duckdb.DuckDBPyConnection, schema: str, table: str, version: int) -> str:
    """The SQL of a row's text in `version`, the table aliased `t`."""
    if version == 1:
        return "CAST(t AS VARCHAR)"
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, table],
        ).fetchall()
    ]
    quoted = ", ".join('t."' + c.replace('"', '""') + '"' for c in columns)
    return f"CAST(row({quoted}) AS VARCHAR)"


def submission_digests(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, version: int | None = None
) -> dict[int, tuple[int, str]]:
    """{submission id: (rows, digest)} of `schema.table` (names from the contracts only), the
    digests made with `version` (default CURRENT)."""
    version = version or CURRENT
    rows = f"md5({_row_text(con, schema, table, version)})"
    found = con.execute(
        f"SELECT _submission_id, count(*), sha256(string_agg(h, ',' ORDER BY h)) "
        f"FROM (SELECT _submission_id, {rows} AS h FROM {schema}.{table} AS t) "
        "GROUP BY _submission_id"
    ).fetchall()
    prefix = _PREFIX[version]
    return {int(sid): (int(n), prefix + digest) for sid, n, digest in found}


def mart_digests(con: duckdb.DuckDBPyConnection, version: int | None = None) -> dict[str, str]:
    """{schema.table: digest of its rows} for every table of the published schemas, made with
    `version` (default CURRENT).

    The tables are digested two at a time, the largest first, each on its own cursor: a
    digest's ordered aggregate runs mostly on one core, so two overlap (on the state scale's
    published snapshot 1.35 s one after another, 0.98 s two at a time; the digests are the same)."""
    marks = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        f"WHERE database_name = current_database() AND schema_name IN ({marks}) "
        "ORDER BY estimated_size DESC, schema_name, table_name",
        list(PUBLISHED_SCHEMAS),
    ).fetchall()
    version = version or CURRENT
    prefix = _PREFIX[version]

    def digest(table: tuple[str, str]) -> tuple[str, str]:
        schema, name = table
        cursor = con.cursor()
        try:
            rows = f"md5({_row_text(cursor, schema, name, version)})"
            (value,) = cursor.execute(
                f"SELECT count(*) || ':' || coalesce(sha256(string_agg(h, ',' ORDER BY h)), '') "
                f'FROM (SELECT {rows} AS h FROM "{schema}"."{name}" AS t)'
            ).fetchone()
        finally:
            cursor.close()
        return f"{schema}.{name}", prefix + value

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(sorted(pool.map(digest, tables)))


def mart_digests_like(con: duckdb.DuckDBPyConnection, recorded: dict[str, str]) -> dict[str, str]:
    """`mart_digests` made with the version `recorded` (a publication's digests) was made with,
    so that they compare; the current version when it records none."""
    versions = versions_of(recorded.values())
    return mart_digests(con, versions.pop() if len(versions) == 1 else None)
