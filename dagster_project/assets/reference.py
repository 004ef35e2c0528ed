"""raw/national_environments: the federal 618 child count and educational environments file
the project ships, loaded as state-maintained reference data (sped/warehouse/national_reference.py).

dbt's `stg_national_environments` reads it, so the LRE dashboard compares the state's
distribution with the nation's. An unchanged file is not reloaded.
"""

from dagster import AssetKey, MaterializeResult, asset

from dagster_project.resources import SpedSettings
from sped.run.steps import connect
from sped.warehouse import national_reference


@asset(
    key=AssetKey(["raw", "national_environments"]),
    group_name="raw",
    description="IDEA Section 618 Part B child count and educational environments, SY 2017-18, "
    "state level (U.S. Department of Education, public domain; sped/reference/public/), as "
    "published: every cell as text.",
    kinds={"duckdb"},
)
def national_environments(sped: SpedSettings) -> MaterializeResult:
    con = connect(sped.installation())
    try:
        result = national_reference.load(con)
    finally:
        con.close()
    return MaterializeResult(
        metadata={
            "rows": result.rows,
            "sha256": result.sha256,
            "reloaded": result.reloaded,
            "file": national_reference.NATIONAL_FILE.name,
        }
    )
