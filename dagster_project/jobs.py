"""The full-refresh job and its nightly schedule."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

full_refresh = define_asset_job(
    "full_refresh",
    selection=AssetSelection.all(),
    description="Validate and load every pending submission, build the marts, publish.",
)

nightly = ScheduleDefinition(
    name="nightly_full_refresh", job=full_refresh, cron_schedule="0 2 * * *"
)
