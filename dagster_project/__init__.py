"""Dagster code location for sped-placements: landing -> validation -> raw -> dbt -> published."""

import sped  # noqa: F401  (first: keeps an unused costly import out, see sped/process/lean_imports.py)
