"""The DuckDB warehouse: schemas, raw tables derived from the contracts, connections."""
