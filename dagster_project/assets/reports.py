"""reports/data_quality: the auditors' printable data-quality pages, rebuilt after each load."""

from dagster import AssetKey, MaterializeResult, asset

from dagster_project.resources import SpedSettings
from sped.reports.quality import write_quality_reports
from sped.steps import connect


@asset(
    key=AssetKey(["reports", "data_quality"]),
    deps=[AssetKey(["raw", "submissions"])],
    group_name="reports",
    description="One HTML page per collection and period: every submission, its checksum, "
    "sender, outcome, the rules that failed and which submission is in force.",
    kinds={"html"},
)
def data_quality_reports(sped: SpedSettings) -> MaterializeResult:
    inst = sped.installation()
    con = connect(inst)
    try:
        leas = [r[0] for r in con.execute("SELECT lea_id FROM raw.leas ORDER BY 1").fetchall()]
    finally:
        con.close()
    index = write_quality_reports(inst, leas)
    return MaterializeResult(metadata={"index": str(index)})
