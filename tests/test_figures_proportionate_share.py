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
    has_share_row,
    lea_share,
    required_share,
    spending_without_allocation,
    spent,
    status,
)

D = Decimal


def test_fresno_county_selpa_round_at_end():
    assert required_share(D("15000000"), 8000, 50, "round_at_end") == D("93167.70")


def test_florida_doe_per_child_first():
    assert required_share(D("100000"), 100, 20, "per_child_first") == D("16666.60")
    assert required_share(D("100000"), 100, 20, "round_at_end") == D("16666.67")


def test_appendix_b_example_rounds_at_end():
    """34 CFR 300 Appendix B keeps the per-child amount unrounded (476.5625); rounding it first,
    as per_child_first does, gives five cents less (docs/rules/proportionate_share.md)."""
    assert required_share(D("152500"), 300, 20, "round_at_end") == D("9531.25")
    assert required_share(D("152500"), 300, 20, "per_child_first") == D("9531.20")


def test_fresno_county_selpa_per_child_first_differs():
    assert required_share(D("15000000"), 8000, 50, "per_child_first") == D("93167.50")


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


AS_OF = dt.date(2026, 11, 1)


def _share(children, roster, allocation, spending=(), schools=1):
    return lea_share(
        lea_id="2500001",
        fiscal_year=2026,
        children=children,
        roster=roster,
        allocation=allocation,
        spending=list(spending),
        rounding="round_at_end",
        count_home_schooled=False,
        as_of=AS_OF,
        private_schools_located=schools,
    )


ROSTER = [(f"s{i}", dt.date(2015, 1, 1), dt.date(2025, 10, 1)) for i in range(9)]
ALLOCATION = (D("10000"), D("500"))


@pytest.mark.parametrize(
    ("roster", "allocation", "reason"),
    [
        (ROSTER, ALLOCATION, None),
        (ROSTER, None, "no allocation loaded"),
        (None, ALLOCATION, "no placement roster submitted"),
        (None, None, "no placement roster submitted; no allocation loaded"),
    ],
)
def test_a_count_of_zero_is_exactly_no_obligation_whatever_is_missing(roster, allocation, reason):
    """subgrant * 0 / (public + 0) = 0 (300.133(a)): the roster and subgrant no longer matter,
    and whatever is missing is still named."""
    for children in ([], [_child(nonprofit=False)]):  # nobody on it, or nobody who counts
        fig = _share(children, roster, allocation)
        assert fig.ppps_count_3_21 == 0
        assert (fig.required_611, fig.required_619) == (D("0.00"), D("0.00"))
        assert (fig.shortfall_611, fig.shortfall_619) == (D("0.00"), D("0.00"))
        assert fig.status_611 == fig.status_619 == "NO_OBLIGATION"
        assert fig.missing_reason == reason


def test_children_counted_but_none_aged_3_to_5_is_no_count_of_zero():
    fig = _share([_child()], None, ALLOCATION)  # one child aged 11, no roster
    assert fig.required_611 is None and fig.required_619 is None
    assert fig.status_619 is None and fig.missing_reason == "no placement roster submitted"


def test_a_count_not_submitted_stays_unknown_as_before():
    assert _share(None, None, None).required_611 is None
    # no private school located: zero children from the directory, but no submitted count,
    # so the share still needs the roster and the allocation
    fig = _share(None, None, ALLOCATION, schools=0)
    assert fig.ppps_count_3_21 == 0 and fig.required_611 is None
    assert fig.missing_reason == "no placement roster submitted"
    assert _share(None, ROSTER, ALLOCATION, schools=0).required_611 == D("0.00")


def test_spending_with_neither_allocation_nor_count_has_a_row_and_a_finding():
    rows = [
        _spend("IDEA_611", "DIRECT_SERVICES", "300.00", "2026-08-01"),
        _spend("IDEA_619", "CHILD_FIND_EVALUATION", "12.50", "2026-08-01"),  # IDEA all the same
        _spend("STATE", "DIRECT_SERVICES", "99.00", "2026-08-01"),  # not IDEA
        _spend("IDEA_611", "DIRECT_SERVICES", "1.00", "2026-11-02"),  # after the as-of date
    ]
    kw = {"spending": rows, "fiscal_year": 2026, "as_of": AS_OF}
    assert has_share_row(count_submitted=False, allocation=None, **kw)
    assert spending_without_allocation(allocation=None, **kw) == (D("300.00"), D("12.50"))
    fig = _share(None, ROSTER, None, rows)
    assert fig.spent_611_initial == D("300.00") and fig.spent_619_initial == D("0.00")
    assert fig.required_611 is None and fig.required_619 is None and fig.status_611 is None
    assert fig.missing_reason == "no PPPS count submitted; no allocation loaded"


def test_spending_with_an_allocation_but_no_count_is_no_finding_and_stays_unknown():
    rows = [_spend("IDEA_611", "DIRECT_SERVICES", "40.00", "2026-08-01")]
    kw = {"spending": rows, "fiscal_year": 2026, "as_of": AS_OF}
    assert spending_without_allocation(allocation=ALLOCATION, **kw) is None
    fig = _share(None, ROSTER, ALLOCATION, rows)
    assert fig.spent_611_initial == D("40.00")
    assert fig.required_611 is None and fig.shortfall_611 is None
    assert fig.missing_reason == "no PPPS count submitted"


def test_no_row_without_allocation_count_or_idea_spending():
    only_state = [_spend("STATE", "DIRECT_SERVICES", "99.00", "2026-08-01")]
    later = [_spend("IDEA_611", "DIRECT_SERVICES", "1.00", "2026-11-02")]
    for rows in ([], only_state, later):
        kw = {"spending": rows, "fiscal_year": 2026, "as_of": AS_OF}
        assert not has_share_row(count_submitted=False, allocation=None, **kw)
        assert spending_without_allocation(allocation=None, **kw) is None
