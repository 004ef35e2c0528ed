"""Next year's IDEA grant paying a carryover obligation (docs/rules/proportionate_share.md;
Massachusetts guidance of June 2017): `expenditures.applies_to_fiscal_year`, the profile switch
`carryover_from_next_grant`, the blocking errors for every other combination, and the figures,
in plain Python and in the marts, built from the rule's own arithmetic.

The example: FY 2024's share is 1,000.00. The LEA obligated 900.00 of its FY 2024 grant in the
initial period and then had no FY 2024 funds left; in FY 2024's carryover year (2025-10-01 to
2026-09-30) it obligated 100.00 of its FY 2025 grant toward the FY 2024 shortfall. FY 2024 is
met with carryover; those 100.00 do not count toward FY 2025's own share."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from sped.contracts import get
from sped.figures.proportionate_share import (
    Spending,
    has_share_row,
    idea_reported,
    spent_with_next_grant,
    status,
)
from sped.validation import validate_batch
from sped.validation.gx_duckdb import shared_config
from sped.validation.sql_gate import validate_batch_sql
from sped.warehouse.schema import create_table_sql, ensure_schemas

D = Decimal
NEVER = dt.date(2030, 1, 1)  # judged after every period ended


def _row(fy, amount, day, applies=None, fund="IDEA_611", category="DIRECT_SERVICES"):
    return Spending(fy, fund, category, D(amount), dt.date.fromisoformat(day), applies)


# --- the figures, in Python -----------------------------------------------------------------


def test_next_grant_pays_the_shortfall_in_the_carryover_year():
    rows = [_row(2024, "900.00", "2024-09-01"), _row(2025, "100.00", "2026-09-30", applies=2024)]
    assert spent_with_next_grant(rows, 2024, "IDEA_611", NEVER) == (
        D("900.00"), D("100.00"), D("100.00"))  # fmt: skip
    assert status(D("1000.00"), D("900.00"), D("100.00"), 2024, NEVER) == "MET_WITH_CARRYOVER"
    # not toward FY 2025's own share
    assert spent_with_next_grant(rows, 2025, "IDEA_611", NEVER) == (D("0.00"),) * 3
    # without it, the state would see a shortfall it considers paid
    assert status(D("1000.00"), D("900.00"), D("0.00"), 2024, NEVER) == "NOT_MET"


@pytest.mark.parametrize(
    ("day", "counts"),
    [
        ("2025-09-30", False),  # FY 2024's initial period: not its carryover period
        ("2025-10-01", True),  # the carryover year's first day
        ("2026-09-30", True),  # its last day
        ("2026-10-01", False),  # the day after (validation refuses it)
    ],
)
def test_next_grant_counts_only_inside_the_carryover_year(day, counts):
    rows = [_row(2025, "100.00", day, applies=2024)]
    _, carry, next_grant = spent_with_next_grant(rows, 2024, "IDEA_611", NEVER)
    assert carry == next_grant == (D("100.00") if counts else D("0.00"))


def test_next_grant_child_find_and_future_obligations_never_count():
    rows = [
        _row(2025, "50.00", "2025-11-01", applies=2024, category="CHILD_FIND_EVALUATION"),
        _row(2025, "60.00", "2026-03-01", applies=2024),
    ]
    as_of = dt.date(2026, 1, 1)
    assert spent_with_next_grant(rows, 2024, "IDEA_611", as_of) == (D("0.00"),) * 3


def test_the_year_paid_has_a_row_and_the_grant_charged_reports_it():
    rows = [_row(2026, "20.00", "2026-10-15", applies=2025)]
    args = {"count_submitted": False, "allocation": None, "spending": rows}
    assert has_share_row(**args, fiscal_year=2025, as_of=NEVER)
    assert has_share_row(**args, fiscal_year=2026, as_of=NEVER)
    assert idea_reported(rows, 2025, NEVER) is None  # nothing charged to FY 2025's grant
    assert idea_reported(rows, 2026, NEVER) == (D("20.00"), D("0.00"))


# --- validation: every other combination is refused, saying why ------------------------------

AS_OF = dt.date(2027, 11, 1)


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=shared_config())
    ensure_schemas(c)
    yield c
    c.close()


def _expenditure(n, fy=2025, applies=None, day="2025-10-15", fund="IDEA_611") -> dict:
    return {
        "lea_id": "2500001",
        "fiscal_year": fy,
        "expenditure_id": f"E{n}",
        "fund_source": fund,
        "category": "DIRECT_SERVICES",
        "amount": D("100.00"),
        "obligation_date": dt.date.fromisoformat(day),
        "applies_to_fiscal_year": applies,
    }


def _findings(con, profile, rows):
    """Each row a file of its own (FY 2025): {submission: [(rule id, message)]}."""
    c = get("expenditures")
    con.execute(create_table_sql("landing", c, replace=True))
    marks = ", ".join("?" for _ in range(len(c.column_names) + 4))
    for sid, row in enumerate(rows, start=1):
        con.execute(
            f"INSERT INTO landing.expenditures VALUES ({marks})",
            [row.get(n) for n in c.column_names] + [sid, 2, "2500001", str(row["fiscal_year"])],
        )
    found = validate_batch(con, "expenditures", profile, AS_OF)
    assert found == validate_batch_sql(con, "expenditures", profile, AS_OF)
    out: dict[int, list] = {}
    for f in found:
        if f.blocking:
            out.setdefault(f.submission_id, []).append((f.rule_id.split(".")[-1], f.message()))
    return out


def test_allowed_combinations_pass(con, profile):
    assert profile.carryover_from_next_grant  # the shipped (Massachusetts) profile allows it
    rows = [
        _expenditure(1),  # blank: its own year
        _expenditure(2, applies=2025),  # its own year, spelled out
        _expenditure(3, applies=2024, day="2025-10-01"),  # FY 2024's carryover year, first day
        _expenditure(4, applies=2024, day="2026-09-30"),  # ... its last day
        _expenditure(5, applies=2024, day="2026-01-15", fund="IDEA_619"),
    ]
    assert _findings(con, profile, rows) == {}


def test_every_other_combination_is_refused_with_its_reason(con, profile):
    rows = [
        _expenditure(1, applies=2026),  # a later year
        _expenditure(2, applies=2023),  # two years back
        _expenditure(3, applies=2024, day="2026-10-01"),  # the day after the carryover year
        _expenditure(4, applies=2024, day="2025-09-30"),  # FY 2024's initial period
        _expenditure(5, applies=2024, fund="STATE"),  # state funds never count
    ]
    found = _findings(con, profile, rows)
    assert {sid: [rule for rule, _ in f] for sid, f in found.items()} == {
        1: ["not_later"],
        2: ["one_year_back"],
        3: ["carryover_period"],
        4: ["carryover_period"],
        5: ["idea_only"],
    }
    assert "never a later year's" in found[1][0][1]
    assert "past its one carryover year" in found[2][0][1]
    period = "The carryover period of FY 2024 runs from 2025-10-01 to 2026-09-30."
    assert period in found[3][0][1] and '"2024"' in found[3][0][1]
    assert period in found[4][0][1]
    assert "state and local funds never count" in found[5][0][1]


def test_switched_off_the_state_refuses_next_grant_payments(con, profile):
    off = dataclasses.replace(profile, carryover_from_next_grant=False)
    rows = [_expenditure(1, applies=2024, day="2026-01-15"), _expenditure(2, applies=2025)]
    found = _findings(con, off, rows)
    assert list(found) == [1] and [rule for rule, _ in found[1]] == ["state_allows"]
    assert "carryover_from_next_grant" in found[1][0][1]


def test_a_warehouse_from_before_the_column_keeps_its_rows(tmp_path):
    """raw.expenditures made before applies_to_fiscal_year existed is remade in the contract's
    column order with every row and its lineage, so a file loads into it by position again."""
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.expenditures (lea_id VARCHAR, fiscal_year BIGINT, expenditure_id "
        "VARCHAR, fund_source VARCHAR, category VARCHAR, amount DECIMAL(18,2), obligation_date "
        "DATE, _submission_id BIGINT, _source_row BIGINT, _lea_id VARCHAR, _period VARCHAR)"
    )
    con.execute(
        "INSERT INTO raw.expenditures VALUES ('2500001', 2025, 'E1', 'IDEA_611', "
        "'DIRECT_SERVICES', 12.50, DATE '2025-08-01', 7, 2, '2500001', '2025')"
    )
    ensure_schemas(con)
    ensure_schemas(con)  # nothing more to do the second time
    c = get("expenditures")
    con.execute(create_table_sql("landing", c))
    row = _expenditure(2, applies=2024, day="2025-10-15")
    con.execute(
        f"INSERT INTO landing.expenditures VALUES ({', '.join('?' * (len(c.column_names) + 4))})",
        [row[n] for n in c.column_names] + [8, 2, "2500001", "2025"],
    )
    con.execute("INSERT INTO raw.expenditures SELECT * FROM landing.expenditures")
    got = con.execute(
        "SELECT expenditure_id, amount, applies_to_fiscal_year, _submission_id, _source_row "
        "FROM raw.expenditures ORDER BY 1"
    ).fetchall()
    assert got == [("E1", D("12.50"), None, 7, 2), ("E2", D("100.00"), 2024, 8, 2)]
    con.close()
