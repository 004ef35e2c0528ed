"""The code location: assets, checks, job, schedule, sensor and resources, gathered."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import Definitions, in_process_executor
from dagster_dbt import DbtCliResource

from dagster_project.assets.dbt import sped_dbt_models
from dagster_project.assets.publish import published_warehouse
from dagster_project.assets.raw import raw_assets, raw_submissions
from dagster_project.assets.reference import national_environments
from dagster_project.assets.reports import data_quality_reports
from dagster_project.dbt_project import sped_dbt
from dagster_project.jobs import nightly, pipeline
from dagster_project.resources import Progress, SpedSettings
from dagster_project.sensors import new_submissions

# The venv's dbt, whether or not the venv's bin is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

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
        "dbt": DbtCliResource(project_dir=sped_dbt, dbt_executable=DBT_EXECUTABLE),
    },
    # DuckDB has one writer: steps run one after another in one process.
    executor=in_process_executor,
)
