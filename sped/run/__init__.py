"""A run's building blocks: its steps as plain functions (what the Dagster assets, rebuild and the
reports call) and the lock that lets one writer at a time into an installation."""
