"""Every rule kind on a tiny batch of two submissions: each finding names the right submission
and file rows, nothing fires on the clean rows, and the count window holds at its edges."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from sped.contracts import get
from sped.validation import validate_batch
from sped.validation.gx_duckdb import shared_config
from sped.warehouse.schema import create_table_sql, ensure_schemas

AS_OF = dt.date(2026, 11, 1)
L1, L2 = "2500001", "2500002"


def placement(lea_id: str = L1, **over) -> dict:
    """A clean placement row: an in-district fifth grader counted on Oct 1."""
    row = {
        "lea_id": lea_id,
        "school_year": "2025-26",
        "count_date": dt.date(2025, 10, 1),
        "student_id": "S1",
        "birth_date": dt.date(2015, 3, 1),
        "grade_level": "05",
        "disability_category": "SLD",
        "educational_environment": "RC80",
        "placement_type": "IN_DISTRICT",
        "placement_start_date": dt.date(2023, 9, 1),
        "twndp_pct": 90.0,
        "transport_minutes_one_way": 10,
        "race_ethnicity": "WH7",
        "sex": "F",
        "english_learner": False,
    }
    return {**row, **over}


def expenditure(lea_id: str = L1, **over) -> dict:
    row = {
        "lea_id": lea_id,
        "fiscal_year": 2026,
        "expenditure_id": "E1",
        "fund_source": "IDEA_611",
        "category": "DIRECT_SERVICES",
        "amount": Decimal("100.00"),
        "obligation_date": dt.date(2026, 8, 1),
    }
    return {**row, **over}


def lea(lea_id: str = L1, **over) -> dict:
    return {"lea_id": lea_id, "name": "A", "county": "X", "lea_type": "REGULAR", **over}


PERIODS = {"placements": "2025-26", "expenditures": "2026", "leas": "current"}


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=shared_config())
    ensure_schemas(c)
    c.execute(
        "INSERT INTO raw.facilities VALUES ('F1', 'Approved Day', 'APPROVED_PRIVATE_DAY', "
        "'MA', true, NULL, 1, 2, NULL, 'current')"
    )
    yield c
    c.close()


def load(con, collection: str, files: dict[int, list[dict]]) -> None:
    """Put files (submission id -> rows) into landing.<collection>, rows numbered per file as a
    spreadsheet shows them (first data row = 2). `_lea_id` in a row overrides the declared LEA."""
    c = get(collection)
    con.execute(create_table_sql("landing", c, replace=True))
    marks = ", ".join("?" for _ in range(len(c.column_names) + 4))
    for sid, rows in files.items():
        for i, row in enumerate(rows):
            declared = row.get("_lea_id", row["lea_id"]) if c.lea_scoped else None
            con.execute(
                f"INSERT INTO landing.{collection} VALUES ({marks})",
                [row.get(n) for n in c.column_names] + [sid, i + 2, declared, PERIODS[collection]],
            )


# (rule, collection, {submission: rows}, expected [(submission, rows)]): every case has a bad
# row and clean rows in two submissions; the bad rows sit at different places in each file.
CASES = [
    (
        "placements.grade_level.required",
        "placements",
        {1: [placement(grade_level=None), placement(student_id="S2")], 2: [placement(L2)]},
        [(1, (2,))],
    ),
    (
        "placements.disability_category.code",
        "placements",
        {
            1: [placement(), placement(student_id="S2")],
            2: [placement(L2), placement(L2, student_id="S2", disability_category="XX")],
        },
        [(2, (3,))],
    ),
    (
        "placements.student_id.shape",
        "placements",
        {
            1: [placement(student_id="S 1"), placement(student_id="S2")],
            2: [placement(L2), placement(L2, student_id="S-2")],
        },
        [(1, (2,)), (2, (3,))],
    ),
    (
        "placements.twndp_pct.range",
        "placements",
        {
            1: [
                placement(transport_minutes_one_way=None),
                placement(student_id="S2"),
            ],  # NULL: no between fails
            2: [placement(L2, twndp_pct=100.5), placement(L2, student_id="S2", twndp_pct=100.0)],
        },
        [(2, (2,))],
    ),
    (
        "placements.student_id.unique",
        "placements",
        {
            1: [placement(), placement(student_id="S2"), placement()],
            2: [placement(L2), placement(L2, student_id="S2")],  # S1 again, other file: fine
        },
        [(1, (2, 4))],
    ),
    (
        "placements.lea_id.matches_submission",
        "placements",
        {1: [placement()], 2: [placement(L2), placement(L1, student_id="S2", _lea_id=L2)]},
        [(2, (3,))],
    ),
    (
        "placements.school_year.matches_submission",
        "placements",
        {1: [placement(school_year="2024-25"), placement(student_id="S2")], 2: [placement(L2)]},
        [(1, (2,))],
    ),
    (
        "expenditures.fiscal_year.matches_submission",
        "expenditures",
        {
            1: [expenditure()],
            2: [expenditure(L2), expenditure(L2, expenditure_id="E2", fiscal_year=2025)],
        },
        [(2, (3,))],
    ),
    (
        "placements.count_date.single_value",
        "placements",
        {
            1: [
                placement(),
                placement(student_id="S2"),
                placement(student_id="S3", count_date=dt.date(2025, 10, 2)),
            ],
            2: [placement(L2, count_date=dt.date(2025, 10, 2))],  # its own single value
        },
        [(1, (4,))],
    ),
    (
        "placements.facility_id.approved_in_directory",
        "placements",
        {
            1: [
                placement(
                    placement_type="APPROVED_PRIVATE_DAY",
                    facility_id="F1",
                    educational_environment="SS",
                    twndp_pct=0.0,
                    lre_checklist_on_file=True,
                    contract_on_file=True,
                    monitoring_plan_on_file=True,
                ),
                placement(
                    student_id="S2",
                    placement_type="APPROVED_PRIVATE_DAY",
                    facility_id="F404",
                    educational_environment="SS",
                    twndp_pct=0.0,
                    lre_checklist_on_file=True,
                    contract_on_file=True,
                    monitoring_plan_on_file=True,
                ),
            ],
            2: [  # an unknown facility is fine where the `when` condition does not hold
                placement(
                    L2,
                    placement_type="UNAPPROVED_PRIVATE",
                    facility_id="F404",
                    contract_on_file=True,
                    monitoring_plan_on_file=True,
                )
            ],
        },
        [(1, (3,))],
    ),
    (
        "placements.placement_start_date.before_count",
        "placements",
        {
            1: [placement()],
            2: [
                placement(L2, placement_start_date=dt.date(2025, 10, 2)),
                placement(L2, student_id="S2"),
            ],
        },
        [(2, (2,))],
    ),
    (
        "leas.lea_id.shape",  # regex built from the profile's {lea_id_pattern}
        "leas",
        {1: [lea(), lea("2600001")], 2: [lea("2500002")]},
        [(1, (3,))],
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "collection", "files", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_rule_kind_is_attributed_to_its_submission_and_rows(
    con, window_profile, rule_id, collection, files, expected
):
    load(con, collection, files)
    findings = validate_batch(con, collection, window_profile, AS_OF)
    assert {f.rule_id for f in findings} == {rule_id}, "only the broken rule fires"
    assert [(f.submission_id, f.sample_rows) for f in findings] == expected
    rule = get(collection).rule(rule_id)
    for f in findings:
        assert f.failed_count == len(f.sample_rows)
        assert (f.severity, f.text, f.reference) == (rule.severity, rule.text, rule.reference)
        assert f.column == rule.columns[0]


def test_every_rule_kind_has_a_case():
    kinds = {get(c).rule(r).kind for r, c, _, _ in CASES}
    assert kinds == {
        "not_null",
        "in_set",
        "regex",
        "between",
        "unique",
        "matches_key",
        "single_value",
        "in_directory",
        "sql",
    }


def test_student_ids_are_masked_and_other_values_shown(con, window_profile):
    load(
        con,
        "placements",
        {1: [placement(student_id="SECRET 9", disability_category="XX")]},
    )
    found = {f.rule_id: f for f in validate_batch(con, "placements", window_profile, AS_OF)}
    assert found["placements.student_id.shape"].sample_values == ("***",)
    assert found["placements.disability_category.code"].sample_values == ("XX",)
    assert "SECRET" not in found["placements.student_id.shape"].message()


def test_sample_is_the_first_rows_ascending_and_the_count_exact(con, window_profile):
    rows = [placement(student_id=f"S{i}", twndp_pct=101.0) for i in range(30)]
    load(con, "placements", {1: rows})
    (f,) = validate_batch(con, "placements", window_profile, AS_OF)
    assert f.failed_count == 30
    assert f.sample_rows == tuple(range(2, 22))
    assert f.sample_values == ("101.0",) * 20


@pytest.mark.parametrize(
    ("count_date", "ok"),
    [("2025-09-30", False), ("2025-10-01", True), ("2025-12-01", True), ("2025-12-02", False)],
)
def test_count_window_edges(con, window_profile, count_date, ok):
    assert window_profile.count_fixed_day is None
    day = dt.date.fromisoformat(count_date)
    load(con, "placements", {1: [placement()], 2: [placement(L2, count_date=day)]})
    found = validate_batch(con, "placements", window_profile, AS_OF)
    window = [(f.submission_id, f.sample_rows) for f in found if f.rule_id.endswith("window")]
    assert window == ([] if ok else [(2, (2,))])


def test_fixed_count_day_narrows_the_window(con, window_profile):
    fixed = dataclasses.replace(window_profile, count_fixed_day=(10, 1))
    load(con, "placements", {1: [placement()], 2: [placement(L2, count_date=dt.date(2025, 11, 3))]})
    found = validate_batch(con, "placements", fixed, AS_OF)
    assert [(f.rule_id, f.submission_id) for f in found] == [("placements.count_date.window", 2)]


def test_clean_batch_of_every_placement_shape_raises_nothing(con, window_profile):
    out_of_district = placement(
        student_id="S2",
        placement_type="APPROVED_PRIVATE_DAY",
        facility_id="F1",
        educational_environment="SS",
        twndp_pct=0.0,
        lre_checklist_on_file=True,
        contract_on_file=True,
        monitoring_plan_on_file=True,
        annual_tuition=Decimal("50000.00"),
    )
    preschool = placement(
        L2,
        birth_date=dt.date(2021, 5, 1),
        grade_level="PK",
        educational_environment="SC",
        twndp_pct=0.0,
        lre_checklist_on_file=True,
    )
    load(con, "placements", {1: [placement(), out_of_district], 2: [preschool]})
    assert validate_batch(con, "placements", window_profile, AS_OF) == []


def test_a_roster_without_the_federal_columns_is_blocked_from_the_first_federal_year_only(
    con, window_profile
):
    bare = {k: v for k, v in placement().items() if k not in ("race_ethnicity", "sex")}
    load(con, "placements", {1: [bare, placement(student_id="S2")]})
    found = validate_batch(con, "placements", window_profile, AS_OF)
    assert [(f.rule_id, f.severity, f.sample_rows) for f in found] == [
        ("placements.race_ethnicity.required_federal", "blocking", (2,)),
        ("placements.sex.required_federal", "blocking", (2,)),
    ]
    # a profile whose first federal year is later accepts the same 2025-26 file
    later = dataclasses.replace(window_profile, first_federal_year="2026-27")
    assert validate_batch(con, "placements", later, AS_OF) == []


def test_sex_x_is_accepted_only_where_the_profile_allows_it(con, window_profile):
    load(con, "placements", {1: [placement(sex="X"), placement(student_id="S2", sex="Q")]})
    found = {
        f.rule_id: f.sample_rows for f in validate_batch(con, "placements", window_profile, AS_OF)
    }
    assert found == {"placements.sex.x_allowed": (2,), "placements.sex.code": (3,)}
    allowed = dataclasses.replace(window_profile, sex_x_allowed=True)
    found = {f.rule_id: f.sample_rows for f in validate_batch(con, "placements", allowed, AS_OF)}
    assert found == {"placements.sex.code": (3,)}
