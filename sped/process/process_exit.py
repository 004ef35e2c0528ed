"""End a `sped` command without the interpreter's teardown.

After a command that imported Dagster, dbt and Great Expectations, the interpreter spends
1.5-2 s tearing down modules before the process ends (measured: `import dagster_project.
definitions` alone takes 1.6 s longer to exit normally than with this). Nothing in that
teardown matters to a finished command: its results are committed (DuckDB and SQLite commit
durably; connections are closed by the code that opened them). So the command's own exit
handlers run - scratch folders removed (sped/process/scratch.py), logging flushed, worker pools
stopped - the standard streams are flushed, and the process ends with its exit code.

Only the command-line entry point uses this; `sped.cli.main` itself returns normally, so tests
and other callers in the same process are unaffected. It calls CPython's private
`atexit._run_exitfuncs` (docs/architecture.md, "Where the code relies on internals"):
`tests/test_quiet_exit.py` fails when that internal is gone, and checks the exit code, the exit
handlers and the flushed output of a command ended this way.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

from sped.process.duckdb_exit import release_duckdb_modules


def exit_now(code: int) -> NoReturn:
    """Run the exit handlers, flush stdout and stderr, and end the process with `code`."""
    # clearing the duckdb modules only quietens the interpreter's own teardown, skipped here
    atexit.unregister(release_duckdb_modules)
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None:  # not CPython: the ordinary way out
        sys.exit(code)
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken pipe: nothing to do
            stream.flush()
    os._exit(code)
