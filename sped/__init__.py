"""sped-placements: the state's IDEA Part B placement warehouse (see README.md)."""

from sped.process import duckdb_exit as _duckdb_exit  # noqa: F401  (quiet interpreter exit, see there)
from sped.process import lean_imports as _lean_imports  # noqa: F401  (before jsonschema: see there)
