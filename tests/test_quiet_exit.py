"""Interpreter exit is quiet: a process that used GX over DuckDB (what the validation does)
prints nothing on stderr when it ends; without sped's exit handler DuckDB's nanobind extension
reports "leaked instances" (the control: if it stops doing so, the handler can go)."""

from __future__ import annotations

import subprocess
import sys

USE_GX_ON_DUCKDB = (
    "import great_expectations, duckdb_engine, duckdb\n"
    "duckdb.connect().sql('SELECT 42').fetchall()\n"
)


def _stderr(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stderr


def test_a_process_using_gx_on_duckdb_exits_quietly():
    assert _stderr("import sped\n" + USE_GX_ON_DUCKDB) == ""


def test_the_validation_modules_exit_quietly():
    assert "nanobind" not in _stderr("import sped.validation.suites, sped.reports.data_docs\n")


def test_without_the_exit_handler_duckdb_reports_leaks():
    assert "nanobind: leaked" in _stderr(USE_GX_ON_DUCKDB)
