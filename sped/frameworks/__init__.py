"""How sped drives its frameworks: dbt in-process (dbt_cli) and the installation's Dagster
instance and event-log storage (dagster_home, dagster_storage)."""
