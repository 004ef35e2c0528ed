"""Release DuckDB's Python objects before the interpreter tears down the DuckDB extension.

DuckDB's Python package is a nanobind extension, and nanobind reports every object of its
types still alive when the extension is finalised ("nanobind: leaked instances!", about 40
lines on stderr at the end of `make test`). Nothing leaks while running: the survivors are the
type constants of `duckdb.sqltypes` (`BIGINT`, `VARCHAR`, ...) held by the `duckdb` modules'
own dictionaries. Whether those dictionaries are cleared before or after the extension goes
depends on the order of interpreter finalisation, and once great_expectations and duckdb_engine
(GX's DuckDB connection) are both imported, the extension goes first. So at exit, after every
other exit handler (this one is registered when `sped` is imported, and exit handlers run last
registered first), the duckdb modules are taken out of `sys.modules` and their dictionaries
cleared, which frees those objects while the extension can still account for them. Objects a
run froze (sped/launch/run_imports.py) are unfrozen first: the collector never frees frozen ones.
"""

from __future__ import annotations

import atexit
import gc
import sys

_PREFIXES = ("duckdb.", "_duckdb.", "duckdb_engine.")
_NAMES = ("duckdb", "_duckdb", "duckdb_engine")


def release_duckdb_modules() -> int:
    """Drop the duckdb modules' references to DuckDB objects; returns how many were cleared."""
    names = [n for n in list(sys.modules) if n in _NAMES or n.startswith(_PREFIXES)]
    for name in sorted(names, key=len, reverse=True):  # submodules before their packages
        module = sys.modules.pop(name, None)
        if module is not None and isinstance(getattr(module, "__dict__", None), dict):
            module.__dict__.clear()
    gc.unfreeze()  # a run froze what it imported (sped/launch/run_imports.py): collectable again
    gc.collect()
    return len(names)


atexit.register(release_duckdb_modules)
