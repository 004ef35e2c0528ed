"""published/warehouse: the snapshot readers use, so no reader ever holds the writer's file."""

from dagster import AssetKey, MaterializeResult, asset

from dagster_project.assets.dbt import sped_dbt_models
from dagster_project.resources import SpedSettings
from sped.run.steps import publish


@asset(
    key=AssetKey(["published", "warehouse"]),
    deps=[sped_dbt_models],
    group_name="published",
    description="A copy of the built warehouse for dashboards, notebooks and the portal.",
    kinds={"duckdb"},
)
def published_warehouse(sped: SpedSettings) -> MaterializeResult:
    path = publish(sped.installation())
    return MaterializeResult(metadata={"path": str(path), "bytes": path.stat().st_size})
