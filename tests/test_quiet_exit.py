"""Interpreter exit is quiet: a process that used GX over DuckDB (what the validation does)
prints nothing on stderr when it ends; without sped's exit handler DuckDB's nanobind extension
reports "leaked instances" (the control: if it stops doing so, the handler can go)."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


EXIT_NOW = (
    "import atexit, sys\n"
    "from pathlib import Path\n"
    "from sped.process.process_exit import exit_now\n"
    "atexit.register(lambda: Path(sys.argv[1]).write_text('handlers ran'))\n"
    "print('said before the end', flush=False)\n" + USE_GX_ON_DUCKDB + "exit_now(7)\n"
)


def test_the_command_ends_at_once_after_its_exit_handlers(tmp_path):
    """sped/process/process_exit.py: the exit code is kept, exit handlers run (scratch cleanup is
    one), buffered output is flushed, and nothing is printed on stderr."""
    marker = tmp_path / "marker"
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_NOW, str(marker)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 7
    assert marker.read_text() == "handlers ran"
    assert proc.stdout == "said before the end\n"
    assert proc.stderr == ""


def test_sped_processes_never_build_the_iri_grammar():
    """sped/process/lean_imports.py: jsonschema (through dbt and GX) loads without
    rfc3987_syntax."""
    code = (
        "import sys, dagster_project.definitions\n"
        "assert 'jsonschema' in sys.modules\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert out.strip() == "None"


RUN_IN_PROCESS = (
    "import sys\n"
    "from sped.cli import main\n"
    "main(['pipeline', '--create', '--landing', sys.argv[1], '--warehouse', sys.argv[2], "
    "'--as-of', '2026-11-01'])\n"
)


@pytest.mark.slow
def test_a_process_that_ran_the_pipeline_in_process_exits_quietly(tmp_path):
    """A run freezes what it imported (sped/launch/run_imports.py), and the collector never frees
    frozen objects: the exit handler unfreezes them before it frees DuckDB's (without that, a
    bench or notebook that ran the pipeline in-process ended with nanobind's leak report)."""
    from sped.generate import generate

    landing, warehouse = tmp_path / "landing", tmp_path / "w" / "warehouse.duckdb"
    generate(landing, scale="small", years=1, seed=5)
    proc = subprocess.run(
        [sys.executable, "-c", RUN_IN_PROCESS, str(landing), str(warehouse)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "nanobind" not in proc.stderr
    # The pipeline's output is its own: the libraries' INFO lines go to the run's log file
    # (sped/process/library_logs.py), not the terminal.
    assert "INFO" not in proc.stderr + proc.stdout, proc.stderr[-2000:]
    log = warehouse.parent / "logs" / "pipeline.log"
    assert f"the libraries' log (GX, Dagster, dbt): {log}" in proc.stdout
    logged = log.read_text()
    assert "INFO dagster" in logged and "A dbt subsetted execution" in logged


def test_the_interpreter_internal_the_quick_exit_uses_is_there():
    """sped/process/process_exit.py calls CPython's `atexit._run_exitfuncs` (1.5-2 s off every
    command's end); without it the command would silently take the slow way out again."""
    import atexit

    assert callable(getattr(atexit, "_run_exitfuncs", None))


def test_the_optional_import_kept_out_is_still_installed():
    """The control of sped/process/lean_imports.py: when JupyterLab no longer brings
    rfc3987_syntax into the environment, marking it absent buys nothing and can go."""
    import importlib.metadata

    assert importlib.metadata.version("rfc3987-syntax")
