"""The pipeline job and its nightly schedule.

The job runs every asset; its dbt build is incremental or full as raw/build_scope decides. The
nightly run judges statuses as of a new day, so it rebuilds every mart. It runs at 02:00 in the
state profile's time zone (`timezone`), where due dates end, not in UTC.
"""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from sped.config import settings
from sped.config.profile import load_profile
from sped.run import run_tags

pipeline = define_asset_job(
    "pipeline",
    selection=AssetSelection.all(),
    description="Validate and load every pending submission, build the marts (incrementally "
    "where only district data changed), publish.",
)

nightly = ScheduleDefinition(
    name="nightly_pipeline",
    job=pipeline,
    cron_schedule="0 2 * * *",
    execution_timezone=load_profile(settings.profile_path()).timezone,
    description="Every night at 02:00 in the state's time zone: statuses judged as of the new day. "
    "Stopped by default: turn it on in the Dagster UI.",
    tags={run_tags.TRIGGER: "schedule"},
)
