"""DDL for the raw and landing tables, derived from the contracts (docs/warehouse_layout.md)."""

from __future__ import annotations

import duckdb

from sped.contracts import COLLECTIONS, Collection
from sped.warehouse.national_reference import ensure_table as ensure_national_table

#: Lineage columns every raw and landing row carries after the contract's own columns.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_submission_id", "BIGINT"),
    ("_source_row", "BIGINT"),
    ("_lea_id", "VARCHAR"),
    ("_period", "VARCHAR"),
)

SUBMISSIONS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("submission_id", "BIGINT"),
    ("collection", "VARCHAR"),
    ("lea_id", "VARCHAR"),
    ("period", "VARCHAR"),
    ("original_name", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("size_bytes", "BIGINT"),
    ("received_at", "TIMESTAMP"),
    ("submitter", "VARCHAR"),
    ("status", "VARCHAR"),
    ("error_count", "BIGINT"),
    ("warning_count", "BIGINT"),
    ("row_count", "BIGINT"),
    ("validated_at", "TIMESTAMP"),
    ("in_force", "BOOLEAN"),
)


#: The keys (LEA, period) whose district data an incremental build recomputes
#: (sped/warehouse/build_scope.py); empty on a full one. The per-LEA models recompute the LEAs,
#: the statewide suppression the school years.
BUILD_SCOPE_COLUMNS: tuple[tuple[str, str], ...] = (("lea_id", "VARCHAR"), ("period", "VARCHAR"))
BUILD_SCOPE_DESCRIPTIONS = {
    "lea_id": "An LEA whose data in force changed since the last build.",
    "period": "The period (school or fiscal year) of that LEA's changed data; NULL in a scope "
    "planned before periods were recorded (then every period counts as changed).",
}
#: Added after the first installations (see BUILD_SCOPE_DESCRIPTIONS).
BUILD_SCOPE_ADDED = "ALTER TABLE raw.build_scope ADD COLUMN IF NOT EXISTS period VARCHAR"

#: One row per dbt build: planned by the pipeline, finished when dbt succeeded.
BUILD_LOG_DDL = """
CREATE TABLE IF NOT EXISTS raw.build_log (
  build_id BIGINT PRIMARY KEY,
  planned_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  mode VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  fingerprint VARCHAR NOT NULL,
  event_watermark BIGINT NOT NULL,
  changed_leas BIGINT NOT NULL,
  changed_collections VARCHAR
)"""
#: Added after the first installations: what an incremental build's LEAs sent (comma-separated
#: district collections; NULL on a full build and on builds planned before it existed).
BUILD_LOG_ADDED = "ALTER TABLE raw.build_log ADD COLUMN IF NOT EXISTS changed_collections VARCHAR"


#: Each collection settled since its inputs last changed (sped/ingest/settled.py).
SETTLED_TABLE = "raw.collections_settled"
SETTLED_DDL = f"""
CREATE TABLE IF NOT EXISTS {SETTLED_TABLE} (
  collection VARCHAR PRIMARY KEY,
  fingerprint VARCHAR NOT NULL,
  settled_at TIMESTAMP NOT NULL
)"""


def has_table(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether `schema.table` exists in the connected warehouse (a snapshot published before a
    model existed, or before the first build, lacks it)."""
    schema, table = qualified.split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def table_columns(collection: Collection) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a raw/landing table: contract columns, then lineage."""
    return [(c.name, c.duckdb_type) for c in collection.columns] + list(LINEAGE_COLUMNS)


def create_table_sql(schema: str, collection: Collection, *, replace: bool = False) -> str:
    cols = ",\n  ".join(f'"{n}" {t}' for n, t in table_columns(collection))
    head = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
    return f"{head} {schema}.{collection.name} (\n  {cols}\n)"


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every raw table, raw.submissions and the build bookkeeping
    tables if they are missing."""
    for schema in ("raw", "landing"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for collection in COLLECTIONS.values():
        con.execute(create_table_sql("raw", collection))
        # columns a contract gained after the table was made (the federal demographics): the
        # rows already loaded keep NULL there, so files sent before stay in force as they were
        for name, type_ in table_columns(collection):
            con.execute(
                f'ALTER TABLE raw.{collection.name} ADD COLUMN IF NOT EXISTS "{name}" {type_}'
            )
    cols = ",\n  ".join(f"{n} {t}" for n, t in SUBMISSIONS_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.submissions (\n  {cols}\n)")
    cols = ",\n  ".join(f"{n} {t}" for n, t in BUILD_SCOPE_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.build_scope (\n  {cols}\n)")
    con.execute(BUILD_SCOPE_ADDED)
    con.execute(BUILD_LOG_DDL)
    con.execute(BUILD_LOG_ADDED)
    con.execute(SETTLED_DDL)
    ensure_national_table(con)  # the federal 618 reference file (loaded by its own step)
