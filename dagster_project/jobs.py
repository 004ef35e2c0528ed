"""The pipeline job and its nightly schedule.

The job runs every asset; its dbt build is incremental or full as raw/build_scope decides. The
nightly run judges statuses as of a new day, so it rebuilds every mart.
"""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

pipeline = define_asset_job(
    "pipeline",
    selection=AssetSelection.all(),
    description="Validate and load every pending submission, build the marts (incrementally "
    "where only district data changed), publish.",
)

nightly = ScheduleDefinition(name="nightly_pipeline", job=pipeline, cron_schedule="0 2 * * *")
