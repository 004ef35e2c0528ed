"""The auditors' data-quality index lists IDEA funds reported spent for a fiscal year with no
allocation on file (34 CFR 300.133; 300.705: issue 13's finding), read from the marts after
they are built, and nothing student-level from the same table."""

from __future__ import annotations

import duckdb
from dagster import AssetKey

from dagster_project.definitions import defs
from sped.reports.quality import spending_without_allocation, write_quality_reports

DETAIL = (
    "FY 2026: IDEA 611 300.00 reported spent with no allocation on file (a wrong fiscal year "
    "on the file, or an allocation not yet loaded?)"
)


def _flags(path) -> list[dict]:
    con = duckdb.connect(str(path))
    try:
        assert spending_without_allocation(con) == []  # before the first build: none
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.fct_compliance_flags (lea_id VARCHAR, school_year VARCHAR, "
            "student_id VARCHAR, flag VARCHAR, rule VARCHAR, detail VARCHAR)"
        )
        con.execute(
            "INSERT INTO marts.fct_compliance_flags VALUES "
            "('2500010', '2025-26', NULL, 'IDEA_SPENDING_WITHOUT_ALLOCATION', "
            "'34 CFR 300.133; 300.705', ?), "
            "('2500020', '2025-26', 'S-SECRET-1', 'UNAPPROVED_PROGRAM', '603 CMR 28.09', 'x')",
            [DETAIL],
        )
        return spending_without_allocation(con)
    finally:
        con.close()


def test_the_index_lists_spending_without_an_allocation(inst, tmp_path):
    flags = _flags(tmp_path / "w.duckdb")
    assert flags == [{"lea_id": "2500010", "detail": DETAIL}]
    page = write_quality_reports(inst, [], flags).read_text()
    assert "IDEA funds reported spent with no allocation on file" in page
    assert "2500010" in page and "FY 2026: IDEA 611 300.00" in page
    assert "S-SECRET-1" not in page and "2500020" not in page


def test_the_index_says_none_when_there_is_none(inst):
    page = write_quality_reports(inst, [], []).read_text()
    assert "IDEA funds reported spent with no allocation on file</h2>\n<p>None." in page


def test_the_reports_are_written_after_the_marts():
    graph = defs.resolve_asset_graph()
    parents = graph.get(AssetKey(["reports", "data_quality"])).parent_keys
    assert AssetKey(["marts", "fct_compliance_flags"]) in parents
