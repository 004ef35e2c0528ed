"""The Python proportionate-share implementation against the regulation's own arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sped.figures.proportionate_share import (
    PrivateChild,
    Spending,
    age_on,
    counted_ppps,
    lea_share,
    required_share,
    spent,
    status,
)

D = Decimal


def test_fresno_county_selpa_round_at_end():
    assert required_share(D("15000000"), 8000, 50, "round_at_end") == D("93167.70")


def test_florida_doe_per_child_first():
    assert required_share(D("100000"), 100, 20, "per_child_first") == D("16666.60")
    assert required_share(D("100000"), 100, 20, "round_at_end") == D("16666.67")


def test_no_ppps_children_no_obligation():
    assert required_share(D("5000"), 10, 0, "round_at_end") == D("0.00")


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        ("2022-10-01", 3),
        ("2022-10-02", 2),
        ("2004-10-01", 21),
        ("2003-10-01", 22),
        ("2019-10-01", 6),
        ("2020-10-01", 5),
    ],
)
def test_age_counts_the_birthday(birth, age):
    assert age_on(dt.date.fromisoformat(birth), dt.date(2025, 10, 1)) == age


def _child(sid="1", birth="2015-01-01", nonprofit=True, elem=True, home=False):
    return PrivateChild(
        sid, dt.date.fromisoformat(birth), dt.date(2025, 10, 1), nonprofit, elem, home
    )


def test_ppps_counting_rules():
    kids = [
        _child("a"),
        _child("a"),  # listed twice: counted once
        _child("b", nonprofit=False),  # for-profit school: not counted
        _child("c", birth="2021-06-01", elem=False),  # 4 in a stand-alone preschool: not counted
        _child("d", birth="2021-06-01", elem=True),  # 4 in an elementary school: counted
        _child("e", home=True, nonprofit=False),  # home-schooled: per the state option
        _child("f", birth="2003-10-01"),  # 22 on the count date: not counted
    ]
    assert counted_ppps(kids, count_home_schooled=False, low=3, high=21) == 2
    assert counted_ppps(kids, count_home_schooled=True, low=3, high=21) == 3
    assert counted_ppps(kids, count_home_schooled=True, low=3, high=5) == 1


def _spend(fund, cat, amount, date, fy=2026):
    return Spending(fy, fund, cat, D(amount), dt.date.fromisoformat(date))


def test_spending_periods_and_what_counts():
    rows = [
        _spend("IDEA_611", "DIRECT_SERVICES", "100.00", "2026-07-01"),  # first day, initial
        _spend("IDEA_611", "TRANSPORTATION", "50.00", "2027-09-30"),  # last day, initial
        _spend("IDEA_611", "CHILD_FIND_EVALUATION", "999.00", "2026-08-01"),  # never counts
        _spend("STATE", "DIRECT_SERVICES", "999.00", "2026-08-01"),  # state funds never count
        _spend("IDEA_611", "RELATED_SERVICES", "25.00", "2027-10-01"),  # carryover year
        _spend("IDEA_611", "RELATED_SERVICES", "7.00", "2028-10-01"),  # after carryover
        _spend("IDEA_611", "DIRECT_SERVICES", "3.00", "2026-08-01", fy=2025),  # other grant
        _spend("IDEA_619", "DIRECT_SERVICES", "11.00", "2026-08-01"),
    ]
    assert spent(rows, 2026, "IDEA_611", dt.date(2029, 1, 1)) == (D("150.00"), D("25.00"))
    assert spent(rows, 2026, "IDEA_619", dt.date(2029, 1, 1)) == (D("11.00"), D("0.00"))
    # judged as of a date, later obligations are not yet known
    assert spent(rows, 2026, "IDEA_611", dt.date(2026, 12, 31)) == (D("100.00"), D("0.00"))


@pytest.mark.parametrize(
    ("initial", "carry", "as_of", "expected"),
    [
        ("100", "0", "2026-11-01", "MET"),
        ("50", "0", "2027-09-30", "OPEN"),
        ("50", "50", "2027-10-01", "MET_WITH_CARRYOVER"),
        ("50", "10", "2028-09-30", "CARRYOVER_OPEN"),
        ("50", "10", "2028-10-01", "NOT_MET"),
    ],
)
def test_status_through_the_periods(initial, carry, as_of, expected):
    got = status(D("100"), D(initial), D(carry), 2026, dt.date.fromisoformat(as_of))
    assert got == expected


def test_missing_inputs_give_null_with_a_reason_never_zero():
    fig = lea_share(
        lea_id="2500001",
        fiscal_year=2026,
        children=[_child()],
        roster=[],
        allocation=None,
        spending=[],
        rounding="round_at_end",
        count_home_schooled=False,
        as_of=dt.date(2026, 11, 1),
    )
    assert fig.required_611 is None and fig.status_611 is None
    assert fig.missing_reason == "no allocation loaded"
    assert fig.ppps_count_3_21 == 1


def test_fall_2025_count_sets_fy_2026_obligation():
    roster = [("s1", dt.date(2015, 1, 1), dt.date(2025, 10, 1))] * 1 + [
        (f"s{i}", dt.date(2015, 1, 1), dt.date(2025, 10, 1)) for i in range(2, 10)
    ]
    fig = lea_share(
        lea_id="2500001",
        fiscal_year=2026,
        children=[_child()],
        roster=roster,
        allocation=(D("10000"), D("0")),
        spending=[],
        rounding="round_at_end",
        count_home_schooled=False,
        as_of=dt.date(2026, 11, 1),
    )
    assert fig.public_count_3_21 == 9
    assert fig.required_611 == D("1000.00")
    assert fig.status_611 == "OPEN"
    assert fig.status_619 == "NO_OBLIGATION"
