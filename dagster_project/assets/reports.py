"""reports/data_quality: the auditors' printable data-quality pages, rebuilt after each load."""

from dagster import AssetKey, MaterializeResult, asset

from dagster_project.resources import SpedSettings
from sped.reports.quality import spending_without_allocation, write_quality_reports
from sped.run.steps import connect


@asset(
    key=AssetKey(["reports", "data_quality"]),
    # after the marts: the index lists IDEA spending with no allocation (fct_compliance_flags)
    deps=[AssetKey(["raw", "submissions"]), AssetKey(["marts", "fct_compliance_flags"])],
    group_name="reports",
    description="One HTML page per collection and period: every submission, its checksum, "
    "sender, outcome, the rules that failed and which submission is in force; the index also "
    "lists IDEA spending reported for a year with no allocation on file.",
    kinds={"html"},
)
def data_quality_reports(sped: SpedSettings) -> MaterializeResult:
    inst = sped.installation()
    con = connect(inst)
    try:
        leas = [r[0] for r in con.execute("SELECT lea_id FROM raw.leas ORDER BY 1").fetchall()]
        flags = spending_without_allocation(con)
    finally:
        con.close()
    index = write_quality_reports(inst, leas, flags, sped.state_profile().min_cell_size)
    return MaterializeResult(metadata={"index": str(index)})
