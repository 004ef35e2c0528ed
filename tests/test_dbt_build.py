"""`dbt build` of the whole project on the small hand-made state (tests/warehouse_fixtures.py),
once for the module, then `dbt docs generate` on the result; exact figures of every layer.

The build runs every model, data test, singular test and dbt unit test (the Fresno and
Florida published examples among them) and must pass as a whole. It uses per-child rounding
and leaves home-schooled children out, the options tests/test_marts_proportionate_share.py
leaves at their defaults, so the two builds together cover both settings of each."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest

from tests.warehouse_fixtures import (
    AS_OF,
    FIXTURE_VARS,
    L1,
    L2,
    L3,
    L4,
    ROSTER_RECEIVED,
    YEAR,
    build,
    query,
    small_state,
)

pytestmark = pytest.mark.slow
D = Decimal


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("dbt_build")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    small_state(warehouse)
    started = time.perf_counter()
    results = build(warehouse, target, FIXTURE_VARS)
    wall = time.perf_counter() - started
    print(f"dbt build: {wall:.1f} s wall, {results['elapsed_time']:.1f} s inside dbt")
    build(warehouse, target, FIXTURE_VARS, command="docs generate")
    return {"warehouse": warehouse, "target": target, "results": results}


def one(built: dict, sql: str) -> dict:
    (row,) = query(built["warehouse"], sql)
    return row


def by(built: dict, sql: str, *key: str) -> dict:
    return {tuple(r[k] for k in key): r for r in query(built["warehouse"], sql)}


# -- the build itself -----------------------------------------------------------------------


def test_build_passes_every_model_test_and_unit_test(built):
    results = built["results"]["results"]
    # an exposure (dbt/models/_exposures.yml) is a node of the build that runs nothing
    exposures = {r["status"] for r in results if r["unique_id"].startswith("exposure.")}
    assert exposures and exposures <= {"success", "skipped", "no-op"}, exposures
    nodes = [r for r in results if not r["unique_id"].startswith("exposure.")]
    failed = {r["unique_id"]: r["status"] for r in nodes if r["status"] not in ("success", "pass")}
    # the federal edit checks warn (they never stop a build) on the fixture's deliberate edge
    # cases: parentally placed children aged 2, 3 and 4 without an environment, or 22, and a
    # child counted twice (tests/warehouse_fixtures.py small_state)
    assert failed == {
        "test.sped_placements.federal_ages_inside_the_file_range": "warn",
        "test.sped_placements.federal_no_child_counted_twice": "warn",
    }
    kinds = {r["unique_id"].split(".")[0] for r in nodes}
    assert kinds == {"model", "test", "unit_test"}
    unit = {r["unique_id"].rsplit(".", 1)[1] for r in results if r["unique_id"][:4] == "unit"}
    assert {"fresno_county_selpa_rounds_at_the_end", "florida_doe_rounds_per_child_first"} <= unit


def test_layers_land_in_exactly_their_schemas(built):
    tables = query(
        built["warehouse"],
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema NOT IN ('raw', 'landing')",
    )
    where = {t["table_name"]: (t["table_schema"], t["table_type"]) for t in tables}
    assert where["stg_placements"] == ("staging", "VIEW")
    assert where["int_ppps_counts"][0] == "intermediate"
    assert where["fct_proportionate_share"] == ("marts", "BASE TABLE")
    assert where["dim_lea"] == ("marts", "BASE TABLE")
    prefix = {"stg": "staging", "int": "intermediate", "fct": "marts", "dim": "marts"}
    for name, (schema, _) in where.items():
        assert prefix.get(name[:3], "shared") == schema, name


def test_docs_catalog_every_built_column_is_described(built):
    manifest = json.loads((built["target"] / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((built["target"] / "catalog.json").read_text(encoding="utf-8"))
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert set(catalog["nodes"]) >= set(models)
    for key, node in models.items():
        documented = {c.lower() for c, v in node["columns"].items() if v["description"].strip()}
        built_columns = {c.lower() for c in catalog["nodes"][key]["columns"]}
        assert built_columns <= documented, (node["name"], built_columns - documented)
        assert documented <= built_columns, (node["name"], documented - built_columns)


# -- staging ------------------------------------------------------------------------------


def test_staging_renames_standardises_and_derives(built):
    roster = by(built, "SELECT * FROM staging.stg_placements", "student_id")
    assert roster[("pk3",)]["age_on_count_date"] == 3  # the 3rd birthday is the count date
    assert roster[("pk3",)]["age_group"] == "3-5"
    assert roster[("kg5",)]["age_group"] == "6-21"  # 5 in kindergarten is school age
    assert roster[("pk4",)]["age_group"] == "3-5"
    assert (
        roster[("lower",)]["educational_environment"],
        roster[("lower",)]["placement_type"],
    ) == (
        "RC80",
        "IN_DISTRICT",
    )
    assert roster[("res",)]["is_out_of_district"] and not roster[("hh",)]["is_out_of_district"]
    assert roster[("a0",)]["fall_year"] == 2025 and roster[("a0",)]["source_row"] == 2
    assert roster[("a0",)]["submission_id"] is not None
    ppps = by(built, "SELECT * FROM staging.stg_ppps_count", "student_id")
    assert (ppps[("k21",)]["age_on_count_date"], ppps[("k22",)]["age_on_count_date"]) == (21, 22)
    assert ppps[("k3",)]["fiscal_year"] == 2026  # fall 2025 count -> FY 2026
    leas = by(built, "SELECT * FROM staging.stg_leas", "lea_id")
    assert leas[(L1,)]["lea_name"] == "Alpha" and leas[(L3,)]["lea_type"] == "CHARTER"


# -- dimensions and submission status -----------------------------------------------------


def test_dimensions(built):
    leas = by(built, "SELECT * FROM marts.dim_lea", "lea_id")
    assert [leas[(lea,)]["private_schools_located"] for lea in (L1, L2, L3, L4)] == [2, 1, 0, 1]
    assert leas[(L2,)]["nonprofit_private_schools_located"] == 0
    fac = by(built, "SELECT * FROM marts.dim_facility", "facility_id")
    assert fac[("F2",)]["state"] == "NH" and fac[("F2",)]["is_out_of_state"]
    assert not fac[("F1",)]["is_out_of_state"]
    schools = by(built, "SELECT * FROM marts.dim_private_school", "private_school_id")
    assert not schools[("A0000002",)]["is_elementary_or_secondary"]  # PRESCHOOL_ONLY
    assert schools[("A0000004",)]["is_elementary_or_secondary"]  # COMBINED


def test_submission_status(built):
    status = by(
        built, "SELECT * FROM marts.fct_submission_status", "lea_id", "collection", "period"
    )
    roster = status[(L1, "placements", YEAR)]
    assert roster["submission_status"] == "IN_FORCE" and roster["expected"]
    assert roster["submissions_received"] == 2  # a superseded file and the one in force
    assert roster["last_status"] == "accepted"
    assert roster["in_force_received_at"] == ROSTER_RECEIVED
    rejected = status[(L2, "ppps_count", YEAR)]
    assert (rejected["submission_status"], rejected["last_status"]) == ("NONE_ACCEPTED", "rejected")
    assert status[(L3, "placements", YEAR)]["submission_status"] == "MISSING"
    assert status[(L3, "placements", "2024-25")]["submission_status"] == "MISSING"
    # PPPS count and child find are expected only where a private school is located
    assert (L3, "ppps_count", YEAR) not in status
    assert status[(L4, "child_find", YEAR)]["submission_status"] == "MISSING"
    # a monitoring log is expected where students are placed out of district
    assert status[(L2, "monitoring_log", YEAR)]["submission_status"] == "MISSING"
    assert (L4, "monitoring_log", YEAR) not in status
    assert not status[(L1, "expenditures", "2026")]["expected"]
    # timeliness as of 2026-11-01 (rosters and PPPS counts due 2025-12-15): the first accepted
    # roster, since superseded, came on 2025-10-20
    assert roster["first_accepted_at"] == dt.datetime(2025, 10, 20, 9, 0)
    assert (roster["due_date"], roster["timeliness"]) == (dt.date(2025, 12, 15), "ON_TIME")
    assert status[(L3, "placements", YEAR)]["timeliness"] == "OVERDUE"
    assert rejected["timeliness"] == "OVERDUE"
    assert status[(L1, "expenditures", "2026")]["timeliness"] == "NO_DUE_DATE"


# -- LRE and out-of-district ---------------------------------------------------------------


def test_lre_environments_per_lea_and_state(built):
    lre = by(
        built,
        "SELECT * FROM marts.fct_lre_environments WHERE school_year = '2025-26'",
        "lea_id",
        "age_group",
        "educational_environment",
    )
    rc80 = lre[(L1, "6-21", "RC80")]
    assert (rc80["students"], rc80["age_group_students"]) == (7, 11)  # incl. the KG 5 year old
    assert rc80["share"] == pytest.approx(7 / 11)
    assert lre[(L1, "6-21", "SS")]["students"] == 2
    assert lre[(L1, "3-5", "SC")]["share"] == pytest.approx(0.5)
    assert lre[(L4, "6-21", "RC80")]["students"] == 3  # " rc80" standardised
    state = lre[("STATE", "6-21", "RC80")]
    assert (state["students"], state["age_group_students"]) == (14, 19)


def test_out_of_district_rates_and_indicator_5c(built):
    ood = by(built, "SELECT * FROM marts.fct_out_of_district", "lea_id", "school_year")
    a = ood[(L1, YEAR)]
    assert (a["students"], a["ood_students"]) == (13, 3)
    assert (a["approved_private_day"], a["out_of_state"], a["unapproved_private"]) == (1, 1, 1)
    assert (a["in_approved_programs"], a["in_unapproved_programs"]) == (2, 1)
    assert (a["ood_in_state"], a["school_age_students"], a["indicator_5c_students"]) == (2, 11, 4)
    assert a["ood_rate"] == pytest.approx(3 / 13)
    assert a["indicator_5c_rate"] == pytest.approx(4 / 11)  # SS + RF + HH (HH in district)
    assert a["state_ood_rate"] == pytest.approx(4 / 21)
    assert a["state_indicator_5c_rate"] == pytest.approx(4 / 19)
    assert ood[(L2, YEAR)]["collaborative"] == 1


# -- proportionate share (34 CFR 300.133) ---------------------------------------------------


def test_share_counts_fall_2025_sets_fy_2026(built):
    a = one(built, f"SELECT * FROM marts.fct_proportionate_share WHERE lea_id = '{L1}'")
    assert (a["fiscal_year"], a["count_school_year"], a["count_date"]) == (
        2026,
        YEAR,
        dt.date(2025, 10, 1),
    )
    # k3 k5 k6 k21 nh twice; not k2 k22 pre4 fp, nor home (option off in this build)
    assert (a["ppps_count_3_21"], a["ppps_count_3_5"]) == (6, 2)
    # roster: 13 aged 3-21; 3-5 by age: pk3, pk4 and the 5 year old in KG
    assert (a["public_count_3_21"], a["public_count_3_5"]) == (13, 3)


def test_share_required_per_child_first(built):
    a = one(built, f"SELECT * FROM marts.fct_proportionate_share WHERE lea_id = '{L1}'")
    # 100,000 / 19 = 5,263.157.. -> 5,263.16 per child, * 6 (round at end would give 31,578.95)
    assert a["required_611"] == D("31578.96")
    assert a["required_619"] == D("4000.00")  # 10,000 / 5 = 2,000.00 * 2


def test_share_spending_and_status_as_of(built):
    a = one(built, f"SELECT * FROM marts.fct_proportionate_share WHERE lea_id = '{L1}'")
    # direct services 20,000 + transportation 1,000; not child find, state, local, nor the
    # obligation dated after as_of
    assert (a["spent_611_initial"], a["spent_611_carryover"]) == (D("21000.00"), D("0.00"))
    assert a["shortfall_611"] == D("10578.96")
    assert a["status_611"] == "OPEN"  # the FY 2026 initial period runs to 2027-09-30
    assert (a["spent_619_initial"], a["shortfall_619"], a["status_619"]) == (
        D("4000.00"),
        D("0.00"),
        "MET",
    )
    assert a["judged_as_of"] == dt.date.fromisoformat(AS_OF)
    assert a["missing_reason"] is None


def test_share_missing_inputs_are_null_with_a_reason(built):
    rows = by(built, "SELECT * FROM marts.fct_proportionate_share", "lea_id")
    b = rows[(L2,)]  # private school located, count rejected: none in force
    assert b["ppps_count_3_21"] is None and b["public_count_3_21"] == 5
    assert (b["required_611"], b["shortfall_611"], b["status_611"]) == (None, None, None)
    assert b["missing_reason"] == "no PPPS count submitted"
    c = rows[(L3,)]  # no private school located: zero children, but no roster either
    assert c["ppps_count_source"] == "NO_PRIVATE_SCHOOL_LOCATED" and c["ppps_count_3_21"] == 0
    assert c["required_611"] is None and c["missing_reason"] == "no placement roster submitted"
    d = rows[(L4,)]  # children counted, no allocation loaded
    assert (d["ppps_count_3_21"], d["public_count_3_21"], d["subgrant_611"]) == (2, 3, None)
    assert d["required_611"] is None and d["required_619"] is None
    assert d["missing_reason"] == "no allocation loaded"
