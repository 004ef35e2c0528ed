"""Suppression holds across every shared table together (ground rule 6): an attacker who
solves every equation among what shr_out_of_district and shr_lre_environments publish - the
students total, the out-of-district split, the age-group totals, the environment cells, the
Indicator 5C rate, the STATE rows and the state rates - works back no hidden or small figure,
in any LEA's year (tests/differencing.py, exact rational arithmetic).

Run on the hand-made small state (tests/warehouse_fixtures.py) and on a larger synthetic state
of 48 LEAs over two years with many small districts, each through the real dbt build. The
attacker itself is shown to find the leak the tables had before (students minus the shown
age-group totals gives the hidden one) when only small cells are hidden."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from tests.differencing import integer_attack, integer_leaks, leaks
from tests.raw_rows import insert, new_warehouse, pupil, run_dbt
from tests.warehouse_fixtures import FIXTURE_VARS, query, small_state

pytestmark = pytest.mark.slow

MIN = FIXTURE_VARS["min_cell_size"]
SHARED = "+shr_out_of_district +shr_lre_environments"


def _built(root: Path, make_state) -> dict[str, list[dict]]:
    """`make_state` written to a warehouse under `root`, its shared tables built, then read."""
    make_state(root / "w.duckdb")
    run_dbt(root / "w.duckdb", root / "target", FIXTURE_VARS, select=SHARED)
    return _tables(root / "w.duckdb")


def _tables(warehouse: Path) -> dict[str, list[dict]]:
    return {
        "shr_ood": query(warehouse, "SELECT * FROM shared.shr_out_of_district"),
        "shr_lre": query(warehouse, "SELECT * FROM shared.shr_lre_environments"),
        "fct_ood": query(warehouse, "SELECT * FROM marts.fct_out_of_district"),
        "fct_lre": query(
            warehouse, "SELECT * FROM marts.fct_lre_environments WHERE lea_id <> 'STATE'"
        ),
    }


def _hidden(t: dict) -> set:
    """(year, figure) of every count the shared tables show as NULL (as tests/differencing.py
    names them). A rate hidden with its denominator hides no count of its own: its numerator
    (the 5C students) is a secret only when small, like the in-district students."""
    out = set()
    for r in t["shr_ood"]:
        y, lea = r["school_year"], r["lea_id"]
        if r["students"] is None:
            out.add((y, (lea, "students", None, None)))
        if r["ood_students"] is None:
            out.add((y, (lea, "ood", None, None)))
    for r in t["shr_lre"]:
        y, lea, a = r["school_year"], r["lea_id"], r["age_group"]
        if r["students"] is None:
            out.add((y, (lea, "cell", a, r["educational_environment"])))
        if r["age_group_students"] is None:
            out.add((y, (lea, "age_group", a, None)))
    return out


def _attack(t: dict) -> list[tuple]:
    return leaks(t["shr_ood"], t["shr_lre"], t["fct_ood"], t["fct_lre"], MIN, _hidden(t))


def _students_minus_age_groups(t: dict) -> list[tuple]:
    """Failure 8 as reported: a shown students total minus the shown age-group totals."""
    groups: dict[tuple, dict] = {}
    for r in t["shr_lre"]:
        groups.setdefault((r["lea_id"], r["school_year"]), {})[r["age_group"]] = r[
            "age_group_students"
        ]
    out = []
    for r in t["shr_ood"]:
        shown = groups.get((r["lea_id"], r["school_year"]), {})
        if r["students"] is not None and list(shown.values()).count(None) == 1:
            out.append((r["lea_id"], r["school_year"], r["students"]))
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict:
    return _built(tmp_path_factory.mktemp("differencing_small"), small_state)


ENVIRONMENTS = {
    "3-5": ["REC10YSVCS", "REC09YSVCS", "SC", "SS", "H"],
    "6-21": ["RC80", "RC79TO40", "RC39", "SS", "RF", "HH", "CF"],
}
OUT_OF_DISTRICT = ["COLLABORATIVE", "APPROVED_PRIVATE_DAY", "OTHER_DISTRICT"]


def synthetic_state(path: Path, leas: int = 48, seed: int = 2026) -> None:
    """Rosters for `leas` LEAs over two school years, sizes spread like a state's (a few large
    districts, many with a handful of preschoolers or a few students out of district)."""
    rng = random.Random(seed)
    con = new_warehouse(path)
    for year, fall in (("2024-25", 2024), ("2025-26", 2025)):
        day = dt.date(fall, 10, 1)
        for i in range(leas):
            lea = f"25{i:05d}"
            size = 1 + int(rng.lognormvariate(3.6, 1.1))
            rows = []
            for n in range(size):
                young = rng.random() < 0.1
                age_group = "3-5" if young else "6-21"
                env = rng.choices(
                    ENVIRONMENTS[age_group],
                    [50, 20, 15, 10, 5] if young else [55, 20, 10, 6, 2, 2, 5],
                )[0]
                rows.append(
                    pupil(
                        f"s{n}",
                        f"{fall - (4 if young else 10)}-01-01",
                        lea,
                        school_year=year,
                        count_date=day,
                        grade_level="PK" if young else "05",
                        educational_environment=env,
                        placement_type=rng.choice(OUT_OF_DISTRICT)
                        if rng.random() < 0.08
                        else "IN_DISTRICT",
                    )
                )
            insert(con, "placements", rows, lea_id=lea, period=year, submission_id=1000 + i)
    con.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict:
    return _built(tmp_path_factory.mktemp("differencing_synthetic"), synthetic_state)


def test_no_hidden_figure_of_the_small_state_can_be_worked_back(small):
    assert _hidden(small), "the small state has figures to hide"
    assert _attack(small) == []
    assert _students_minus_age_groups(small) == []


def test_no_hidden_figure_of_a_larger_state_can_be_worked_back(synthetic):
    hidden = _hidden(synthetic)
    # the state is varied enough to hide age groups, students totals and 5C rates
    assert {v[1] for _, v in hidden} >= {"students", "age_group", "cell", "ood"}
    assert any(r["indicator_5c_rate"] is None for r in synthetic["shr_ood"])
    assert _attack(synthetic) == []
    assert _students_minus_age_groups(synthetic) == []
    # state figures stay shown
    assert all(r["students"] is not None for r in synthetic["shr_lre"] if r["lea_id"] == "STATE")


def test_the_attacker_finds_what_hiding_small_cells_alone_leaves(synthetic):
    """Hide only the small figures of each table, as each table on its own would: students
    minus the shown age groups, and the state totals minus the shown LEAs, give them back."""
    t = synthetic
    naive_ood = [
        {
            **r,
            "ood_students": None if 0 < r["ood_students"] < MIN else r["ood_students"],
            "ood_rate": None if 0 < r["ood_students"] < MIN else r["ood_rate"],
            "students": None if 0 < r["students"] < MIN else r["students"],
            "indicator_5c_rate": None,
        }
        for r in t["fct_ood"]
    ]
    state = [r for r in t["shr_lre"] if r["lea_id"] == "STATE"]
    naive_lre = [
        {
            **r,
            "students": None if 0 < r["students"] < MIN else r["students"],
            "age_group_students": None
            if 0 < r["age_group_students"] < MIN
            else r["age_group_students"],
            "share": None,
        }
        for r in t["fct_lre"]
    ] + state
    naive = {**t, "shr_ood": naive_ood, "shr_lre": naive_lre}
    worked_back = _attack(naive)
    assert worked_back
    assert any(v[1] == "age_group" for _, v, _, _ in worked_back)
    assert _students_minus_age_groups(naive)


# --- issue 25, failure 4: a reader who also knows counts are whole, not negative, and that a
# row (or a hidden figure) stands for at least one student ---------------------------------


def two_in_a_facility_state(path: Path) -> None:
    """The issue's case: eight LEAs, two of which each have one student aged 6-21 in a
    correctional facility (CF); no other LEA has one, so the state row shows 2."""
    con = new_warehouse(path)
    day = dt.date(2025, 10, 1)
    for i in range(8):
        lea = f"25{i:05d}"
        envs = ["RC80"] * (30 + 3 * i) + ["RC79TO40"] * (12 + i) + ["CF"] * (i < 2)
        rows = [
            pupil(f"s{n}", "2015-01-01", lea, school_year="2025-26", count_date=day,
                  educational_environment=env)
            for n, env in enumerate(envs)
        ]  # fmt: skip
        insert(con, "placements", rows, lea_id=lea, period="2025-26", submission_id=2000 + i)
    con.close()


@pytest.fixture(scope="module")
def two_in_a_facility(tmp_path_factory) -> dict:
    return _built(tmp_path_factory.mktemp("differencing_cf"), two_in_a_facility_state)


def test_two_hidden_ones_under_a_shown_two_are_not_pinned(two_in_a_facility):
    """Failure 4 as reported: the state row showed 2 students in correctional facilities and
    two LEAs had a hidden CF row, so each was 1. The exact linear attack found nothing; the
    integer one pinned both. Now the state figure is hidden with them."""
    t = two_in_a_facility
    cf = [r for r in t["shr_lre"] if r["educational_environment"] == "CF"]
    assert sorted(r["lea_id"] for r in cf) == ["2500000", "2500001", "STATE"]
    assert _attack(t) == []
    assert _integer_attack(t) == []
    assert all(r["students"] is None for r in cf)
    ranges = integer_attack(t["shr_ood"], t["shr_lre"])["2025-26"]
    for lea in ("2500000", "2500001"):  # exact least and greatest values: 1 up to many
        low, high = ranges[(lea, "cell", "6-21", "CF")]
        assert low == 1 and (high is None or high >= MIN)


def _integer_attack(t: dict) -> list[tuple]:
    return integer_leaks(t["shr_ood"], t["shr_lre"], t["fct_ood"], t["fct_lre"])


def test_integer_bounds_pin_no_hidden_figure_of_the_small_state(small):
    assert _integer_attack(small) == []


def test_integer_bounds_pin_no_hidden_figure_of_a_larger_state(synthetic):
    assert _integer_attack(synthetic) == []
