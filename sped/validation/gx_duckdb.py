"""The two adjustments that let GX Core 1.24 validate a DuckDB warehouse in-process.

1. GX has no DuckDB data source; its SQL data source works through duckdb-engine, but GX
   fetches rows after closing the SQLAlchemy connection, which empties a DuckDB result
   (GX issues 10738 and 11579; measured on this stack). GX keeps one persisted connection for a
   few dialects; `enable_persisted_connection` adds duckdb to that private list.
2. DuckDB refuses a second connection to a file already open in the same process with a
   different configuration, and duckdb-engine always sets `custom_user_agent`. The pipeline
   therefore opens its own connection with `shared_config()`, so GX reads the very batch the
   pipeline just wrote without copying it.

Both touch names that are not GX's or duckdb-engine's public API; `tests/test_validation_gx.py`
fails loudly if either changes, and great-expectations is pinned in pyproject.toml.
"""

from __future__ import annotations

import duckdb_engine
import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql
import sqlalchemy


class _DuckDBDialect:
    """Stands in the GX dialect tuple: GX compares `dialect_name in tuple` and reads `.value`."""

    value = "duckdb"

    def __eq__(self, other: object) -> bool:
        return str(getattr(other, "value", other)).lower() == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return "<persisted-connection dialect duckdb>"


def enable_persisted_connection() -> None:
    """Make GX keep one connection open for DuckDB, as it does for SQLite (idempotent)."""
    current = gx_sql._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in [getattr(d, "value", d) for d in current]:
        gx_sql._PERSISTED_CONNECTION_DIALECTS = (*current, _DuckDBDialect())


def persisted_connection_enabled() -> bool:
    return any(getattr(d, "value", None) == "duckdb" for d in gx_sql._PERSISTED_CONNECTION_DIALECTS)


def shared_config() -> dict[str, str]:
    """The DuckDB config duckdb-engine opens files with, so both connections share one
    database instance in this process."""
    return {
        "custom_user_agent": f"duckdb_engine/{duckdb_engine.__version__}"
        f"(sqlalchemy/{sqlalchemy.__version__})"
    }


def require_shared_config(con) -> None:
    """Raise a clear error if `con` was not opened with `shared_config()`: GX's own connection
    to the same file would otherwise fail with DuckDB's "different configuration" error."""
    (agent,) = con.execute("SELECT current_setting('custom_user_agent')").fetchone()
    if agent != shared_config()["custom_user_agent"]:
        raise ValueError(
            "validation reads the warehouse through GX's own connection: open the pipeline's "
            "DuckDB connection with sped.validation.gx_duckdb.shared_config()"
        )


def release(source) -> None:
    """Close every connection a GX SQL data source opened (its own cached engine and its
    execution engine's persisted connection), so other processes (dbt) can lock the file."""
    engines = []
    execution_engine = source.get_execution_engine()
    conn = getattr(execution_engine, "_connection", None)
    if conn is not None:
        conn.close()
        execution_engine._connection = None
    engines.append(getattr(execution_engine, "engine", None))
    engines.append(source.get_engine())
    for engine in engines:
        if engine is not None and hasattr(engine, "dispose"):
            engine.dispose()
