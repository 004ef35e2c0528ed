"""Dagster code location for sped-placements: landing -> validation -> raw -> dbt -> published."""
