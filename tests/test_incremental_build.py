"""Incremental marts, end to end: after a new roster for one LEA, the pipeline's dbt build
recomputes only that LEA, and every incremental table equals what a full rebuild gives.

The small state (two school years) is generated and run through the pipeline once (a full
build); one LEA then sends a roster with half its out-of-district students gone (so flags,
coverage rows and counts must disappear, not only change), the pipeline runs again
(incremental), and a copy of the warehouse is rebuilt from scratch with `dbt run
--full-refresh` for comparison. The statewide suppression is recomputed for the roster's school
year only, and must still equal what the full build decides.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.profile import load_profile
from sped.config.settings import Installation
from sped.frameworks.dbt_cli import invoke
from sped.generate import generate
from sped.run.steps import open_registry, publish
from tests.state_channel import OPERATOR

AS_OF = "2026-11-01"
pytestmark = pytest.mark.slow

INCREMENTAL_TABLES = [
    "intermediate.int_public_counts",
    "intermediate.int_ppps_counts",
    "intermediate.int_equitable_spending",
    "intermediate.int_ood_monitoring",
    "intermediate.int_placements_by_lea",
    "intermediate.int_lre_by_lea",
    "intermediate.int_disproportionality_children_by_lea",
    "intermediate.int_disproportionality_groups",
    "marts.fct_proportionate_share",
    "marts.fct_child_find",
    "marts.fct_monitoring_coverage",
    "marts.fct_compliance_flags",
    "marts.fct_federal_children",
    "marts.fct_federal_category_sets",  # its SEA records are the sums of its LEA records
]
#: Built on top of the incremental tables (state rates, STATE rows): rebuilt whole every time.
DERIVED_TABLES = [
    "marts.fct_out_of_district",
    "marts.fct_lre_environments",
    "marts.fct_significant_disproportionality",  # its alternate ratios read every LEA
]
#: The suppression (per school year: only the changed year is recomputed) and the shared tables.
SHARED_TABLES = ["shared.shr_suppression", "shared.shr_out_of_district",
                 "shared.shr_lre_environments", "shared.shr_spp_indicators"]  # fmt: skip
#: An LEA that sends nothing: a copy of a row under its id is planted in each incremental table
#: after the first build. An incremental build must leave it alone (a full one drops it), which
#: shows that LEAs outside the build's scope are not recomputed. Not planted where a derived
#: table would carry it into the state totals.
SENTINEL = "2599999"
#: Planted in the suppression's rows of the year that changes: recomputed, so gone.
GONE = "2599998"
SENTINEL_TABLES = [
    t
    for t in INCREMENTAL_TABLES
    if t.split(".")[1]
    not in (
        "int_placements_by_lea",
        "int_lre_by_lea",
        "int_disproportionality_groups",
        "fct_federal_children",  # a planted child is counted by the federal edit checks
        "fct_federal_category_sets",  # a planted LEA record is summed into the SEA records
    )
]


def _pipeline(warehouse: Path, *extra: str) -> None:
    assert (
        main(["pipeline", "--create", "--warehouse", str(warehouse), "--as-of", AS_OF, *extra]) == 0
    )


def _last_build(warehouse: Path) -> tuple:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        build = con.execute(
            "SELECT mode, reason, changed_leas, finished_at IS NOT NULL FROM raw.build_log "
            "ORDER BY build_id DESC LIMIT 1"
        ).fetchone()
        scope = [r[0] for r in con.execute("SELECT lea_id FROM raw.build_scope").fetchall()]
    finally:
        con.close()
    return build, scope


def _smaller_roster(data: bytes) -> bytes:
    """The roster without every second out-of-district student."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    ood = [r for r in rows if r["placement_type"] != "IN_DISTRICT"]
    gone = {id(r) for r in ood[::2]}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(r for r in rows if id(r) not in gone)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    """(installation, the LEA that changed, a fully rebuilt copy of the warehouse)."""
    landing = tmp_path_factory.mktemp("landing") / "landing"
    generate(landing, scale="small", years=2, seed=11)
    inst = Installation(tmp_path_factory.mktemp("install") / "warehouse.duckdb")
    _pipeline(inst.warehouse, "--landing", str(landing))
    first = _last_build(inst.warehouse)
    with open_registry(inst) as reg:
        rosters = [
            s
            for s in reg.submissions(collection="placements", status="accepted")
            if s.original_name.endswith(".csv")
        ]
        roster = max(rosters, key=lambda s: s.row_count)  # the LEA with most students
        data = _smaller_roster(reg.read_bytes(roster))
    con = duckdb.connect(str(inst.warehouse))
    try:
        for table in SENTINEL_TABLES:
            con.execute(
                f"INSERT INTO {table} SELECT * REPLACE ('{SENTINEL}' AS lea_id) FROM {table} "
                "LIMIT 1"
            )
        # in the suppression: a row of the other school year (must stay) and one of the
        # roster's year (must go: that year is recomputed)
        for table in ("shr_suppression", "shr_spp_indicators"):
            for lea, same_year in ((SENTINEL, False), (GONE, True)):
                con.execute(
                    f"INSERT INTO shared.{table} SELECT * REPLACE ('{lea}' AS lea_id) "
                    f"FROM shared.{table} WHERE (school_year = ?) = ? LIMIT 1",
                    [roster.period, same_year],
                )
    finally:
        con.close()
    # published as they stand: a build finding marts that differ from their last publication
    # (changed by hand) is full (tests/test_audit_warehouse.py), which the sentinels would be
    publish(inst)
    new_file = tmp_path_factory.mktemp("upload") / "roster_v2.csv"
    new_file.write_bytes(data)
    args = ["--collection", "placements", "--lea", roster.lea_id, "--period", roster.period]
    assert main(["submit", str(new_file), "--account", OPERATOR, *args,
                 "--warehouse", str(inst.warehouse)]) == 0  # fmt: skip
    _pipeline(inst.warehouse)
    second = _last_build(inst.warehouse)

    full = tmp_path_factory.mktemp("full") / "warehouse.duckdb"
    shutil.copyfile(inst.warehouse, full)
    invoke(
        ["run", "--full-refresh"],
        warehouse=full,
        target=full.parent / "dbt_target",
        dbt_vars=load_profile().dbt_vars(__import__("datetime").date.fromisoformat(AS_OF)),
    )
    return inst, roster, first, second, full


def test_the_first_build_is_full_and_the_next_recomputes_one_lea(incremental):
    _, roster, first, second, _ = incremental
    assert first == (("full", "no finished build yet", 0, True), [])
    assert second == (("incremental", "1 LEAs with new data in force", 1, True), [roster.lea_id])


@pytest.mark.parametrize("table", ["shr_suppression", "shr_spp_indicators"])
def test_only_the_changed_school_year_of_the_suppression_is_recomputed(incremental, table):
    inst, *_ = incremental
    con = duckdb.connect(str(inst.warehouse), read_only=True)
    try:
        planted = dict(con.execute(
            f"SELECT lea_id, count(*) FROM shared.{table} WHERE lea_id IN (?, ?) "
            "GROUP BY lea_id", [SENTINEL, GONE]
        ).fetchall())  # fmt: skip
        years = con.execute(f"SELECT count(DISTINCT school_year) FROM shared.{table}")
        assert years.fetchone()[0] == 2
    finally:
        con.close()
    assert planted == {SENTINEL: 1}  # the other year's kept, the roster's year's recomputed


@pytest.mark.parametrize("table", SENTINEL_TABLES)
def test_leas_outside_the_scope_are_not_recomputed(incremental, table):
    inst, *_ = incremental
    con = duckdb.connect(str(inst.warehouse), read_only=True)
    try:
        planted = con.execute(f"SELECT count(*) FROM {table} WHERE lea_id = ?", [SENTINEL])
        assert planted.fetchone()[0] == 1
    finally:
        con.close()


def test_the_new_roster_is_in_force(incremental):
    inst, roster, *_ = incremental
    con = duckdb.connect(str(inst.warehouse), read_only=True)
    try:
        in_force, students = con.execute(
            "SELECT max(submission_id), count(*) FROM staging.stg_placements "
            "WHERE lea_id = ? AND school_year = ?",
            [roster.lea_id, roster.period],
        ).fetchone()
    finally:
        con.close()
    assert in_force > roster.submission_id and students < roster.row_count


@pytest.mark.parametrize("table", INCREMENTAL_TABLES + DERIVED_TABLES + SHARED_TABLES)
def test_incremental_tables_equal_a_full_rebuild(incremental, table):
    inst, roster, _, _, full = incremental
    con = duckdb.connect(str(inst.warehouse), read_only=True)
    try:
        con.execute(f"ATTACH '{full}' AS full_build (READ_ONLY)")
        only_incremental = con.execute(
            f"SELECT count(*) FROM (SELECT * FROM {table} WHERE lea_id <> '{SENTINEL}' "
            f"EXCEPT ALL SELECT * FROM full_build.{table})"
        ).fetchone()[0]
        only_full = con.execute(
            f"SELECT count(*) FROM (SELECT * FROM full_build.{table} EXCEPT ALL "
            f"SELECT * FROM {table})"
        ).fetchone()[0]
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        lea_rows = con.execute(
            f"SELECT count(*) FROM {table} WHERE lea_id = ?", [roster.lea_id]
        ).fetchone()[0]
    finally:
        con.close()
    assert (only_incremental, only_full) == (0, 0)
    assert rows > 0
    if table not in ("intermediate.int_ppps_counts", "intermediate.int_equitable_spending",
                     "marts.fct_child_find", "marts.fct_proportionate_share",
                     "shared.shr_suppression"):  # fmt: skip
        assert lea_rows > 0  # the changed LEA's rows were rebuilt, not dropped


def test_rows_that_no_longer_exist_are_gone(incremental):
    """Half the LEA's out-of-district students left the roster: their monitoring rows went."""
    inst, roster, *_ = incremental
    con = duckdb.connect(str(inst.warehouse), read_only=True)
    try:
        monitored, on_roster = con.execute(
            "SELECT (SELECT count(*) FROM intermediate.int_ood_monitoring WHERE lea_id = $1), "
            "(SELECT count(*) FROM staging.stg_placements WHERE lea_id = $1 "
            "AND is_out_of_district)",
            [roster.lea_id],
        ).fetchone()
    finally:
        con.close()
    assert monitored == on_roster > 0
