"""The 618 public layout export: a state's real published 2017-18 counts rebuilt as a roster
come out as published, cell for cell; from 2019-20 a 5-year-old in kindergarten has a
school-age column of its own and every band is the sum of its single ages; parentally placed
children with a services plan fill their row and the totals."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sped.dashboards import exports
from tests import federal_rebuild as rebuild
from tests.raw_rows import COUNT_DAY, YEAR, insert, kid, new_warehouse, pupil, run_dbt

STATE = "Massachusetts"
STAGING = "stg_placements stg_ppps_count"
L1 = "2500001"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, profile):
    root = tmp_path_factory.mktemp("rebuilt")
    warehouse = root / "warehouse.duckdb"
    rebuild.write_roster(warehouse, STATE)
    run_dbt(warehouse, root / "target", profile.dbt_vars(), select=STAGING)
    con = duckdb.connect(str(warehouse), read_only=True)
    yield exports.federal_618(con, rebuild.YEAR, STATE)
    con.close()


def _shortfalls(published: dict) -> dict[tuple[str, str], int]:
    """{(row, demographic kind): children the row's counts of that kind leave out}: the file's
    own inconsistency, where a disability's race counts sum to less than its total."""
    out = {}
    for (env, dis), row in published.items():
        for total, index in (("Age 3 to 5", 0), ("Ages 6-21", 1)):
            if not row[total].strip().isdigit():
                continue
            races = [row[c[index]] for c in exports.RACE_COLUMNS.values()]
            if all(v.strip().isdigit() for v in races):
                gap = int(row[total]) - sum(int(v) for v in races)
                if gap:
                    out[(env, dis)] = gap
    return out


def test_the_published_2017_18_counts_rebuilt_as_a_roster_come_out_as_published(rebuilt):
    published = rebuild.published(STATE)
    assert rebuilt.columns == list(next(iter(published.values())))
    assert rebuilt.height == len(published) == 14 * 19
    shortfalls = _shortfalls(published)
    equal = 0
    differing: dict[tuple[str, str], int] = {}
    for row in rebuilt.iter_rows(named=True):
        key = (row["SEA Education Environment"], row["SEA Disability Category"])
        for column, cell in published[key].items():
            if not cell.strip().isdigit():
                continue
            if row[column] == cell.strip():
                equal += 1
            else:
                differing[key] = differing.get(key, 0) + int(row[column]) - int(cell)
    # every published count is equal, but where the file's own race counts of a disability
    # leave children out: those children are in a race column of the rebuilt row
    assert differing == {k: v for k, v in shortfalls.items() if k in differing}
    assert set(differing) <= set(shortfalls) and sum(shortfalls.values()) == sum(differing.values())
    assert equal >= 1235
    # the ages, the parentally placed row and the totals, each equal
    ages = [f"Age {a}" for a in range(3, 22)] + ["Age 6-11", "Age 12-17", "Age 18-21"]
    for row in rebuilt.iter_rows(named=True):
        cells = published[(row["SEA Education Environment"], row["SEA Disability Category"])]
        for column in (*ages, "Age 3 to 5", "Ages 6-21"):
            if cells[column].strip().isdigit():
                assert row[column] == cells[column].strip(), (
                    row["SEA Education Environment"],
                    column,
                )
    ppps = published[("Parentally Placed in Private Schools", "All Disabilities")]
    assert int(ppps["Ages 6-21"]) > 1000  # the row is filled, and matched above


def _export(tmp_path, profile, year, placements, private):
    warehouse = tmp_path / "warehouse.duckdb"
    con = new_warehouse(warehouse)
    insert(con, "placements", placements, lea_id=L1, period=year)
    insert(con, "ppps_count", private, lea_id=L1, period=year, submission_id=2)
    con.close()
    run_dbt(warehouse, tmp_path / "target", profile.dbt_vars(), select=STAGING)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return exports.federal_618(con, year, STATE)
    finally:
        con.close()


DEMOGRAPHICS = {"race_ethnicity": "HI7", "sex": "F", "english_learner": True}


def test_five_year_olds_in_kindergarten_have_their_own_column_and_bands_sum(tmp_path, profile):
    roster = [
        pupil("k5", "2020-06-01", L1, grade_level="KG", **DEMOGRAPHICS),
        pupil("k5b", "2020-05-01", L1, grade_level="KG", educational_environment="RC39",
              twndp_pct=20.0, race_ethnicity="WH7", sex="M", english_learner=False),
        pupil("p5", "2020-07-01", L1, grade_level="PK", educational_environment="SC",
              twndp_pct=0.0, **DEMOGRAPHICS),
        pupil("s7", "2018-03-01", L1, grade_level="02", **DEMOGRAPHICS),
        pupil("s12", "2013-03-01", L1, grade_level="07", race_ethnicity="BL7", sex="M",
              english_learner=False),
    ]  # fmt: skip
    private = [
        kid("pp8", "2017-01-01", L1, **DEMOGRAPHICS),
        kid("pp5k", "2020-02-01", L1, race_ethnicity="AS7", sex="M", english_learner=False),
        kid("pp4", "2021-02-01", L1, educational_environment="SPL", **DEMOGRAPHICS),
        kid("noplan", "2016-01-01", L1, has_services_plan=False, **DEMOGRAPHICS),
    ]
    table = _export(tmp_path, profile, YEAR, roster, private)
    assert table.columns == list(exports.federal_618_header(YEAR))
    assert "Age 5 (School Age)" in table.columns and "Age 5 (School Age)-21" in table.columns
    rows = {
        r["SEA Education Environment"]: r
        for r in table.filter(table["SEA Disability Category"] == "All Disabilities").iter_rows(
            named=True
        )
    }
    rc80 = rows["Inside regular class 80% or more of the day"]
    assert (rc80["Age 5 (School Age)"], rc80["Age 6"], rc80["Age 7"]) == ("1", "0", "1")
    assert rc80["Age 5 (School Age)-11"] == "2" and rc80["Age 5 (School Age)-21"] == "3"
    ppps = rows["Parentally Placed in Private Schools"]
    assert (ppps["Age 5 (School Age)"], ppps["Age 8"], ppps["Age 5 (School Age)-21"]) == (
        "1", "1", "2",
    )  # fmt: skip
    assert ppps["Hispanic/Latino Age 6 to21"] == "1" and ppps["Asian Age 6 to21"] == "1"
    total = rows["Total, Age 6-21"]
    assert total["Age 5 (School Age)-21"] == "6"  # 4 on the roster, 2 parentally placed
    assert (total["Female Age 6 to 21"], total["Male Age 6 to 21"]) == ("3", "3")
    assert (total["LEP Yes Age 6 to 21"], total["LEP No Age 6 to 21"]) == ("3", "3")
    spl = rows["Service Provider Location"]
    assert (spl["Age 4"], spl["Age 3 to 5"], spl["Female Age 3 to 5"]) == ("1", "1", "1")
    assert rows["Total, Age 3-5"]["Age 3 to 5"] == "2"  # p5 and the parentally placed 4-year-old
    for row in table.iter_rows(named=True):  # every band is the sum of its single ages
        if row["Age 6"] == "-":
            continue
        singles = [int(row[c]) for c in ("Age 5 (School Age)", *exports.AGES_6_21)]
        bands = [int(row[b]) for b in ("Age 5 (School Age)-11", "Age 12-17", "Age 18-21")]
        assert bands == [sum(singles[:7]), sum(singles[7:13]), sum(singles[13:])]
        assert int(row["Age 5 (School Age)-21"]) == sum(bands)


def test_before_2019_20_a_kindergarten_five_year_old_has_no_column(tmp_path, profile):
    year = "2018-19"
    roster = [
        pupil("k5", "2013-06-01", L1, grade_level="KG", school_year=year,
              count_date=dt.date(2018, 10, 1)),
    ]  # fmt: skip
    with pytest.raises(exports.LayoutGap, match="1 children aged 5 in kindergarten"):
        _export(tmp_path, profile, year, roster, [])
    assert COUNT_DAY.year == 2025
