"""The code location: assets, checks, job, schedule, sensor and resources, gathered."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from dagster_project.assets.dbt import sped_dbt_models
from dagster_project.assets.publish import published_warehouse
from dagster_project.assets.raw import raw_assets, raw_submissions
from dagster_project.assets.reference import national_environments
from dagster_project.assets.reports import data_quality_reports
from dagster_project.jobs import nightly, pipeline
from dagster_project.resources import Progress, SpedSettings
from dagster_project.sensors import new_submissions

defs = Definitions(
    assets=[
        *raw_assets,
        raw_submissions,
        national_environments,
        data_quality_reports,
        sped_dbt_models,
        published_warehouse,
    ],
    jobs=[pipeline],
    schedules=[nightly],
    sensors=[new_submissions],
    resources={
        "sped": SpedSettings(),
        "progress": Progress(),
    },
    # DuckDB has one writer: steps run one after another in one process.
    executor=in_process_executor,
)
