"""GX kept warm for the whole process: one ephemeral context, data sources, suites and
validation definitions created once and reused, never per file or per call.

`run_suite` validates a table of the warehouse with one of the collection's suites (`file`:
the pending batch; `cross`: the accepted rows) and says which rules failed. GX reads the table
through its own SQLAlchemy (duckdb-engine) connection to the same warehouse file; the pipeline
opens its connection with `gx_duckdb.shared_config()`, so both share one DuckDB database
instance and GX sees the batch without a copy. After every run GX's connection is released, so
another process (dbt) can lock the warehouse next; the cached data source reconnects on the
next run. Progress bars are off; GX's own warnings are left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx

from sped.config.profile import StateProfile
from sped.contracts import Collection
from sped.validation.gx_duckdb import enable_persisted_connection, release
from sped.validation.suites import build_suite

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _digest(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


@dataclass
class _Runtime:
    """The process's GX objects, keyed by what they depend on."""

    context: Any
    sources: dict[str, Any] = field(default_factory=dict)  # warehouse path -> data source
    suites: dict[tuple, Any] = field(default_factory=dict)  # (collection, profile, as_of)
    definitions: dict[tuple, Any] = field(default_factory=dict)  # (path, table, suite key)


_LOCK = threading.Lock()
_RUNTIME: _Runtime | None = None


def _runtime() -> _Runtime:
    global _RUNTIME
    if _RUNTIME is None:
        enable_persisted_connection()
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        _RUNTIME = _Runtime(context)
    return _RUNTIME


def _forget_missing_files(rt: _Runtime) -> None:
    """Drop data sources of warehouse files that are gone (scratch files of single checks)."""
    for path in [p for p in rt.sources if not Path(p).exists()]:
        source = rt.sources.pop(path)
        for key in [k for k in rt.definitions if k[0] == path]:
            rt.context.validation_definitions.delete(rt.definitions.pop(key).name)
        rt.context.data_sources.delete(source.name)


def _source(rt: _Runtime, path: str):
    if path not in rt.sources:
        _forget_missing_files(rt)
        rt.sources[path] = rt.context.data_sources.add_sql(
            f"warehouse_{_digest(path)}", connection_string=f"duckdb:///{path}"
        )
    return rt.sources[path]


def _suite(rt: _Runtime, collection: Collection, profile: StateProfile, as_of, stage: str):
    key = (collection.name, stage, profile, as_of)
    if key not in rt.suites:
        name = f"{collection.name}_{stage}_{_digest(*key)}"
        suite = build_suite(collection, profile, as_of, name, stage)
        rt.suites[key] = rt.context.suites.add(suite)
    return key, rt.suites[key]


def _definition(rt: _Runtime, path: str, table: str, collection, profile, as_of, stage):
    suite_key, suite = _suite(rt, collection, profile, as_of, stage)
    key = (path, table, suite_key)
    if key not in rt.definitions:
        source = _source(rt, path)
        asset = next((a for a in source.assets if a.name == table), None) or (
            source.add_query_asset(table, query=f"SELECT * FROM {table}")
        )
        batch = asset.add_batch_definition_whole_table(f"batch_{_digest(*key)}")
        rt.definitions[key] = rt.context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate_{_digest(*key)}", data=batch, suite=suite)
        )
    return rt.definitions[key]


def _exception_message(info: dict | None) -> str | None:
    """GX reports an exception either directly or per metric; the first message, if any."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def run_suite(
    path: str,
    collection: Collection,
    table: str,
    profile: StateProfile,
    as_of: dt.date,
    *,
    stage: str = "file",
    result_format: str | dict = "SUMMARY",
) -> dict[str, int | None]:
    """Failed rules of one GX run over `table`: rule id -> GX's count of unexpected rows
    (None with BOOLEAN_ONLY; SUMMARY costs the same here, see README.md). Raises if GX could not
    evaluate an expectation: a rule GX cannot run must never pass silently."""
    with _LOCK:
        rt = _runtime()
        definition = _definition(rt, path, table, collection, profile, as_of, stage)
        try:
            result = definition.run(result_format=result_format)
        finally:
            release(_source(rt, path))
    failed: dict[str, int | None] = {}
    for r in result.results:
        rule_id = r.expectation_config.meta["rule_id"]
        error = _exception_message(r.exception_info)
        if error:
            raise RuntimeError(f"GX could not evaluate {rule_id}: {error}")
        if not r.success:
            res = r.result or {}
            failed[rule_id] = res.get("unexpected_count", res.get("observed_value"))
    return failed


def cache_sizes() -> dict[str, int]:
    """How many GX objects the process holds (tests check nothing is built per call)."""
    rt = _runtime()
    return {
        "sources": len(rt.sources),
        "suites": len(rt.suites),
        "definitions": len(rt.definitions),
    }
