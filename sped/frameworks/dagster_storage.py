"""The event log storage of the installation's Dagster instance: Dagster's own SQLite storage
(same files, same tables, same queries), with one SQLAlchemy engine kept per database file.

Dagster's `SqliteEventLogStorage` builds a new engine for every connection it opens, and opens
one or two for every event it stores (the run's own database, and the index database for asset
and check events). A pipeline run stores about 500 events (asset and check planned events,
materializations, check evaluations, step events). A new engine each time compiles every
statement again, looks the index's tables up again (`has_table`) and, closing the connection,
checkpoints the WAL: about 8 ms an event on these machines, 4-5 s of every run.

This subclass keeps each database's engine with a small pool of open connections, and the
tables it has seen exist. It changes nothing else:

- The databases are the same WAL-mode files. Other processes (`dagster dev`, the daemon) read
  and write them with their own connections, SQLite's locking between them.
- The engines of the last few run databases are kept; older ones are closed.
- A kept connection does not checkpoint the WAL into the run's database file when it is
  returned, and `dagster dev` follows a run by watching that file. So the WAL is checkpointed
  whenever a step or the run starts or ends.
- Commits use `synchronous=NORMAL`, which in WAL mode is durable against the process crashing
  at any point; only a power loss can drop the last events. Those are the run history, never
  the district data: the registry and the warehouse keep their own, full durability.

This module is the one place that relies on Dagster's internals (ground rule: public APIs
only, unless the gain is large, measured and guarded): it subclasses `SqliteEventLogStorage`
(`dagster._core`) and replaces its private `_connect`, reading its private `_db_lock`,
`_initialized_dbs` and `_initdb`. That buys 3-4 s of every run (the 4-5 s above against under
a second; docs/performance.md). `tests/test_dagster_storage.py` fails when the installed Dagster
is not the version this was checked against (`CHECKED_DAGSTER`), or when any internal it uses
is gone, and checks the files it writes against Dagster's own storage class. Two further
shortcuts that sessions before measured are not kept, for they bought less than 0.2 s: a new
run's database copied from a template instead of made by Dagster's `_initdb` (0.05 s a run),
and skipping `_initdb`'s check against the migration scripts (0.015 s a run).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster import DagsterEventType
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import QueuePool

#: Events after which the run's database file is brought up to date (what `dagster dev` sees).
CHECKPOINT_AFTER = frozenset(
    {
        DagsterEventType.STEP_START,
        DagsterEventType.STEP_SUCCESS,
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.RUN_START,
        DagsterEventType.RUN_SUCCESS,
        DagsterEventType.RUN_FAILURE,
    }
)
#: The Dagster version whose internals this module was checked against (pyproject.toml pins it).
CHECKED_DAGSTER = "1.13.27"
#: The private methods of `SqliteEventLogStorage` this module replaces or calls, and the private
#: state of a storage it reads.
INTERNALS_USED = ("_connect", "_initdb")
STATE_USED = ("_db_lock", "_initialized_dbs")
#: Run databases whose engines (and open connections) are kept; the index's is always kept.
KEPT_RUN_ENGINES = 4


def _sqlite_engine(conn_string: str) -> db.Engine:
    engine = db.create_engine(
        conn_string,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=4,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )

    @db.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class SpedEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with an engine per database file kept for the storage's life."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._engines: dict[str, db.Engine] = {}
        self._engines_lock = threading.Lock()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> SpedEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = _sqlite_engine(self.conn_string_for_shard(shard))
            self._engines[shard] = engine  # the most recently used last
            runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
            for old in runs[: max(0, len(runs) - KEPT_RUN_ENGINES)]:
                self._engines.pop(old).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event(self, event) -> None:
        super().store_event(event)
        if event.is_dagster_event and event.dagster_event_type in CHECKPOINT_AFTER:
            with self._db_lock, self._engine(event.run_id).connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table; a table once seen is not looked up again
        (Dagster's migrations add tables, never drop them)."""
        if table_name in self._tables_seen:
            return True
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            present = bool(engine.dialect.has_table(conn, table_name))
        if present:
            self._tables_seen.add(table_name)
        return present

    def _close_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        """Dagster's wipe deletes the run databases: their kept connections are closed first."""
        self._close_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()
