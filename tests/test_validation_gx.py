"""GX validation of batches: each rule kind attributed to the right submission and rows,
nothing firing on clean rows, the count window at its edges, cross-collection checks, and the
GX/DuckDB workaround guarded."""

from __future__ import annotations

import datetime as dt
import json

import great_expectations as gx
import pytest

from sped.contracts import COLLECTIONS, get
from sped.steps import connect
from sped.validation import validate_batch, validate_cross
from sped.validation.gx_duckdb import enable_persisted_connection, persisted_connection_enabled
from sped.validation.suites import RENDER_AS_OF, SUITES_DIR, file_rules, suite_json
from sped.warehouse.schema import create_table_sql

AS_OF = dt.date(2026, 11, 1)


def _placement(**over) -> dict:
    row = {
        "lea_id": "2500001",
        "school_year": "2025-26",
        "count_date": dt.date(2025, 10, 1),
        "student_id": "S1",
        "birth_date": dt.date(2015, 3, 1),
        "grade_level": "05",
        "disability_category": "SLD",
        "educational_environment": "RC80",
        "placement_type": "IN_DISTRICT",
        "facility_id": None,
        "facility_state": None,
        "placement_start_date": dt.date(2023, 9, 1),
        "twndp_pct": 90.0,
        "lre_checklist_on_file": None,
        "contract_on_file": None,
        "monitoring_plan_on_file": None,
        "transport_minutes_one_way": 10,
        "transport_team_approved": None,
        "return_criteria_documented": None,
        "annual_tuition": None,
    }
    row.update(over)
    return row


def _load(con, collection: str, rows: list[tuple[int, str | None, str, dict]]) -> None:
    c = get(collection)
    con.execute(create_table_sql("landing", c, replace=True))
    names = [*c.column_names, "_submission_id", "_source_row", "_lea_id", "_period"]
    placeholders = ", ".join("?" for _ in names)
    for i, (sid, lea, period, row) in enumerate(rows):
        values = [row.get(n) for n in c.column_names] + [sid, i + 2, lea, period]
        con.execute(f"INSERT INTO landing.{collection} VALUES ({placeholders})", values)


def _facilities(con):
    con.execute(
        "INSERT INTO raw.facilities VALUES ('F1', 'Approved Day', "
        "'APPROVED_PRIVATE_DAY', 'MA', true, NULL, 1, 2, NULL, 'current')"
    )


@pytest.fixture
def con(inst):
    c = connect(inst)
    yield c
    c.close()


def _by_rule(findings) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in findings:
        out.setdefault(f.rule_id, []).append(f)
    return out


def test_clean_rows_raise_nothing(con, window_profile):
    _facilities(con)
    rows = [
        (1, "2500001", "2025-26", _placement()),
        (
            1,
            "2500001",
            "2025-26",
            _placement(
                student_id="S2",
                placement_type="APPROVED_PRIVATE_DAY",
                facility_id="F1",
                educational_environment="SS",
                twndp_pct=0.0,
                lre_checklist_on_file=True,
                contract_on_file=True,
                monitoring_plan_on_file=True,
                annual_tuition=50000,
            ),
        ),
        (
            2,
            "2500002",
            "2025-26",
            _placement(
                lea_id="2500002",
                birth_date=dt.date(2021, 5, 1),
                grade_level="PK",
                educational_environment="SC",
                twndp_pct=0.0,
                lre_checklist_on_file=True,
            ),
        ),
    ]
    _load(con, "placements", rows)
    assert validate_batch(con, "placements", window_profile, AS_OF) == []


def test_each_kind_is_attributed_to_its_submission_and_rows(con, window_profile):
    _facilities(con)
    rows = [
        (1, "2500001", "2025-26", _placement()),
        (1, "2500001", "2025-26", _placement(student_id="S1")),  # unique (row 3)
        (1, "2500001", "2025-26", _placement(student_id="S 3")),  # regex (row 4)
        (2, "2500002", "2025-26", _placement(lea_id="2500001")),  # matches_key (row 5)
        (
            2,
            "2500002",
            "2025-26",
            _placement(lea_id="2500002", student_id="S9", disability_category="XX"),
        ),  # in_set (row 6)
        (
            2,
            "2500002",
            "2025-26",
            _placement(lea_id="2500002", student_id="S8", twndp_pct=120.0),
        ),  # between (row 7)
        (
            2,
            "2500002",
            "2025-26",
            _placement(lea_id="2500002", student_id="S7", count_date=dt.date(2025, 10, 2)),
        ),  # single (8)
        (3, "2500003", "2025-26", _placement(lea_id="2500003", grade_level=None)),  # not_null
        (
            3,
            "2500003",
            "2025-26",
            _placement(
                lea_id="2500003",
                student_id="S5",
                placement_type="APPROVED_PRIVATE_DAY",
                facility_id="NOPE",
                contract_on_file=True,
                monitoring_plan_on_file=True,
            ),
        ),  # dir
    ]
    _load(con, "placements", rows)
    found = _by_rule(validate_batch(con, "placements", window_profile, AS_OF))
    got = {rid: [(f.submission_id, f.sample_rows) for f in fs] for rid, fs in found.items()}
    assert got["placements.student_id.unique"] == [(1, (3,))]
    assert got["placements.student_id.shape"] == [(1, (4,))]
    assert got["placements.lea_id.matches_submission"] == [(2, (5,))]
    assert got["placements.disability_category.code"] == [(2, (6,))]
    assert got["placements.twndp_pct.range"] == [(2, (7,))]
    assert got["placements.count_date.single_value"] == [(2, (8,))]
    assert got["placements.grade_level.required"] == [(3, (9,))]
    assert got["placements.facility_id.approved_in_directory"] == [(3, (10,))]
    # no student identifier reaches a finding
    assert all(v == "***" for f in found["placements.student_id.shape"] for v in f.sample_values)


@pytest.mark.parametrize(
    ("count_date", "ok"),
    [("2025-09-30", False), ("2025-10-01", True), ("2025-12-01", True), ("2025-12-02", False)],
)
def test_count_window_edges(con, window_profile, count_date, ok):
    _load(
        con,
        "placements",
        [(1, "2500001", "2025-26", _placement(count_date=dt.date.fromisoformat(count_date)))],
    )
    rules = {f.rule_id for f in validate_batch(con, "placements", window_profile, AS_OF)}
    assert ("placements.count_date.window" not in rules) is ok


def test_fixed_count_day(con, window_profile):
    import dataclasses

    fixed = dataclasses.replace(window_profile, count_fixed_day=(10, 1))
    _load(
        con, "placements", [(1, "2500001", "2025-26", _placement(count_date=dt.date(2025, 11, 1)))]
    )
    rules = {f.rule_id for f in validate_batch(con, "placements", fixed, AS_OF)}
    assert "placements.count_date.window" in rules


def test_monitoring_of_a_student_not_placed_out_of_district(con, window_profile):
    con.execute(create_table_sql("raw", get("placements"), replace=True))
    roster = _placement(student_id="OOD1", placement_type="COLLABORATIVE", facility_id="F9")
    names = [*get("placements").column_names]
    con.execute(
        f"INSERT INTO raw.placements VALUES ({', '.join('?' for _ in range(len(names) + 4))})",
        [roster[n] for n in names] + [1, 2, "2500001", "2025-26"],
    )
    log = get("monitoring_log")
    base = {
        "lea_id": "2500001",
        "school_year": "2025-26",
        "activity_date": dt.date(2025, 11, 3),
        "activity_type": "SITE_VISIT",
        "conducted_by": "DISTRICT_STAFF",
    }
    con.execute(create_table_sql("raw", log, replace=True))
    for i, (sid, fac) in enumerate([("OOD1", "F9"), ("OOD1", "F7"), ("S1", "F9")]):
        row = {**base, "student_id": sid, "facility_id": fac}
        con.execute(
            f"INSERT INTO raw.monitoring_log VALUES ({', '.join('?' * 11)})".replace("'?'", "?"),
            [row[n] for n in log.column_names] + [5, i + 2, "2500001", "2025-26"],
        )
    found = _by_rule(validate_cross(con, "monitoring_log", window_profile, AS_OF))
    assert [f.sample_rows for f in found["monitoring_log.student_id.on_roster"]] == [(4,)]
    assert [f.sample_rows for f in found["monitoring_log.facility_id.matches_roster"]] == [(3,)]
    assert all(not f.blocking for fs in found.values() for f in fs)


def test_gx_duckdb_workaround_is_in_place():
    """Fails loudly if GX renames the private list the workaround extends."""
    import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql

    assert hasattr(gx_sql, "_PERSISTED_CONNECTION_DIALECTS")
    enable_persisted_connection()
    enable_persisted_connection()
    assert persisted_connection_enabled()
    assert (
        sum(getattr(d, "value", None) == "duckdb" for d in gx_sql._PERSISTED_CONNECTION_DIALECTS)
        == 1
    )
    assert gx.__version__ == "1.24.1"


def test_committed_suites_are_current_and_cover_every_rule(profile):
    gx.get_context(mode="ephemeral")
    for c in COLLECTIONS.values():
        text = suite_json(c, profile, RENDER_AS_OF)
        assert (SUITES_DIR / f"{c.name}.json").read_text() == text, (
            "run `python -m sped.validation.suites`"
        )
        ids = [e["meta"]["rule_id"] for e in json.loads(text)["expectations"]]
        assert sorted(ids) == sorted(r.id for r in file_rules(c))


def test_validation_releases_the_warehouse_for_other_processes(inst, window_profile):
    """dbt runs in a subprocess right after validation: no lock may be left behind."""
    import subprocess
    import sys

    c = connect(inst)
    _load(c, "placements", [(1, "2500001", "2025-26", _placement())])
    validate_batch(c, "placements", window_profile, AS_OF)
    c.close()
    probe = f"import duckdb; duckdb.connect({str(inst.warehouse)!r}).close()"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-500:]


def test_child_find_is_checked_against_the_ppps_count(con, window_profile):
    from tests.raw_rows import insert

    day = dt.date(2025, 10, 1)
    kid = {
        "lea_id": "2500001",
        "school_year": "2025-26",
        "count_date": day,
        "birth_date": dt.date(2015, 1, 1),
        "private_school_id": "A0000001",
        "private_school_nonprofit": True,
        "elementary_or_secondary": True,
        "home_schooled": False,
        "resident_state": "MA",
        "disability_category": "SLD",
        "has_services_plan": True,
    }
    insert(
        con,
        "ppps_count",
        [{**kid, "student_id": "P1"}, {**kid, "student_id": "P2"}],
        lea_id="2500001",
        period="2025-26",
    )

    def referral(sid, outcome, evaluated):
        return {
            "lea_id": "2500001",
            "school_year": "2025-26",
            "student_id": sid,
            "private_school_id": "A0000001",
            "resident_state": "MA",
            "referral_date": dt.date(2025, 9, 2),
            "consent_date": dt.date(2025, 9, 3),
            "evaluation_type": "INITIAL",
            "evaluation_date": evaluated,
            "eligibility": outcome,
        }

    insert(
        con,
        "child_find",
        [
            referral("P1", "ELIGIBLE", dt.date(2025, 9, 20)),  # counted: fine
            referral("N1", "ELIGIBLE", dt.date(2025, 9, 25)),  # eligible, not counted (row 3)
            referral("N2", "ELIGIBLE", dt.date(2025, 11, 2)),  # found after the count: fine
            referral("P2", "NOT_ELIGIBLE", dt.date(2025, 9, 30)),  # counted yet not eligible (5)
        ],
        lea_id="2500001",
        period="2025-26",
        submission_id=7,
    )
    found = _by_rule(validate_cross(con, "child_find", window_profile, AS_OF))
    assert [
        (f.submission_id, f.sample_rows)
        for f in found["child_find.student_id.eligible_not_counted"]
    ] == [(7, (3,))]
    assert [
        (f.submission_id, f.sample_rows)
        for f in found["child_find.student_id.not_eligible_but_counted"]
    ] == [(7, (5,))]
    assert all(v == "***" for fs in found.values() for f in fs for v in f.sample_values)


def test_cross_warnings_follow_the_data_they_read(inst, window_profile):
    """A monitoring-log warning (student not placed out of district) goes away when a later
    roster places the student, without the monitoring log being sent again."""
    from sped.ingest.batch import process_collection
    from sped.landing.layout import DeclaredKey
    from sped.steps import open_registry

    def roster(*rows):
        head = ",".join(get("placements").column_names)
        body = "".join(
            f"2500001,2025-26,2025-10-01,{sid},2014-01-01,05,SLD,{env},{ptype},{fac},,"
            f"2024-09-01,{pct},Y,Y,Y,10,,,\n"
            for sid, env, ptype, fac, pct in rows
        )
        return (head + "\n" + body).encode()

    leas = b"lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n"
    log = (
        ",".join(get("monitoring_log").column_names) + "\n"
        "2500001,2025-26,OOD1,F1,2025-11-01,SITE_VISIT,DISTRICT_STAFF\n"
        "2500001,2025-26,S9,F1,2025-11-01,SITE_VISIT,DISTRICT_STAFF\n"
    ).encode()
    key = DeclaredKey("placements", "2500001", "2025-26")
    with open_registry(inst) as reg:
        reg.receive(
            leas, DeclaredKey("leas", None, "current"), original_name="l.csv", submitter="t"
        )
        reg.receive(
            roster(
                ("OOD1", "SS", "COLLABORATIVE", "F1", "10"), ("S9", "RC80", "IN_DISTRICT", "", "90")
            ),
            key,
            original_name="r1.csv",
            submitter="t",
        )
        log_sid = reg.receive(
            log,
            DeclaredKey("monitoring_log", "2500001", "2025-26"),
            original_name="m.csv",
            submitter="t",
        ).submission_id
        c = connect(inst)
        try:
            for name in ("leas", "placements", "monitoring_log"):
                process_collection(
                    c,
                    reg,
                    get(name),
                    window_profile,
                    AS_OF,
                    validate=validate_batch,
                    validate_cross=validate_cross,
                )
            rules = {f.rule_id: f.sample_rows for f in reg.findings(log_sid)}
            assert rules == {
                "monitoring_log.student_id.on_roster": (3,),
                "monitoring_log.facility_id.matches_roster": (3,),
            }
            assert reg.submission(log_sid).warning_count == 2
            reg.receive(
                roster(
                    ("OOD1", "SS", "COLLABORATIVE", "F1", "10"),
                    ("S9", "SS", "COLLABORATIVE", "F1", "10"),
                ),
                key,
                original_name="r2.csv",
                submitter="t",
            )
            for name in ("placements", "monitoring_log"):
                process_collection(
                    c,
                    reg,
                    get(name),
                    window_profile,
                    AS_OF,
                    validate=validate_batch,
                    validate_cross=validate_cross,
                )
        finally:
            c.close()
        assert reg.findings(log_sid) == []
        assert reg.submission(log_sid).warning_count == 0
