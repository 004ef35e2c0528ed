"""Proportionate share (34 CFR 300.133), computed directly from the rule in plain Python.

This is deliberately a second, independent implementation: the warehouse computes the figures
in dbt SQL, and tests generate random small states and require the two to agree to the cent.
Everything is `Decimal`; nothing here reads the warehouse.

    required_611 = subgrant_611 * ppps_3_21 / (public_3_21 + ppps_3_21)     300.133(a)(1)
    required_619 = subgrant_619 * ppps_3_5  / (public_3_5  + ppps_3_5)      300.133(a)(2)

Where the state allows it, the next year's grant may pay a year's carryover obligation
(`Spending.applies_to_fiscal_year`): such a row counts toward that year's carryover year, never
toward its own year's share (docs/rules/proportionate_share.md).

With a submitted count of no child the share is exactly zero whatever the roster or subgrant,
even when they are missing; IDEA spending reported for a year with no allocation and no count
still gets its row, and spending with no allocation on file is a finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def age_on(birth: dt.date, on: dt.date) -> int:
    """Whole years on a date; the birthday itself counts."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def required_share(subgrant: Decimal, public: int, ppps: int, rounding: str) -> Decimal:
    """The share of `subgrant` for `ppps` children out of `public + ppps` (300.133(a))."""
    if ppps == 0:
        return Decimal("0.00")
    total = public + ppps
    if rounding == "per_child_first":
        return round_cents(subgrant / total) * ppps
    if rounding == "round_at_end":
        return round_cents(subgrant * ppps / total)
    raise ValueError(f"unknown rounding rule {rounding!r}")


@dataclass(frozen=True)
class PrivateChild:
    """A row of the PPPS count (ppps_count)."""

    student_id: str
    birth_date: dt.date
    count_date: dt.date
    nonprofit: bool
    elementary_or_secondary: bool
    home_schooled: bool


@dataclass(frozen=True)
class Spending:
    """A row of equitable-services expenditures. `applies_to_fiscal_year`: the year whose share
    it pays when not its own (next year's grant paying a carryover obligation)."""

    fiscal_year: int
    fund_source: str
    category: str
    amount: Decimal
    obligation_date: dt.date
    applies_to_fiscal_year: int | None = None

    @property
    def share_year(self) -> int:
        """The fiscal year whose share the row pays."""
        return self.applies_to_fiscal_year or self.fiscal_year

    @property
    def from_next_grant(self) -> bool:
        return self.share_year < self.fiscal_year


def counted_ppps(
    children: Iterable[PrivateChild], *, count_home_schooled: bool, low: int, high: int
) -> int:
    """Eligible PPPS children aged low-high on the count date, each counted once.

    Nonprofit schools only (300.133; 300.130), home-schooled children only where the state
    counts them, and a 3-5 year old only when the school is an elementary school.
    """
    ids = set()
    for c in children:
        age = age_on(c.birth_date, c.count_date)
        if not low <= age <= high:
            continue
        if c.home_schooled:
            if not count_home_schooled:
                continue
        elif not c.nonprofit:
            continue
        if age <= 5 and not c.elementary_or_secondary:
            continue
        ids.add(c.student_id)
    return len(ids)


def counted_public(roster: Iterable[tuple[str, dt.date, dt.date]], low: int, high: int) -> int:
    """Students on the LEA's roster (student_id, birth_date, count_date) aged low-high."""
    return len({sid for sid, birth, on in roster if low <= age_on(birth, on) <= high})


def periods(fiscal_year: int) -> tuple[dt.date, dt.date, dt.date]:
    """(start, end of initial period, end of carryover year) for FY funds (300.133(a)(3))."""
    return (
        dt.date(fiscal_year, 7, 1),
        dt.date(fiscal_year + 1, 9, 30),
        dt.date(fiscal_year + 2, 9, 30),
    )


def spent_with_next_grant(
    rows: Iterable[Spending], fiscal_year: int, fund: str, as_of: dt.date
) -> tuple[Decimal, Decimal, Decimal]:
    """(initial-period, carryover-year, of which paid from the next grant) federal spending
    that counts toward the fiscal year's share.

    Only IDEA funds count; child find and evaluations never do (300.131(d)); transportation
    does (300.139(b)); obligations after the as-of date are not yet known. A row counts toward
    the share it pays: its own grant year's, or, when the next year's grant pays this year's
    carryover obligation (`applies_to_fiscal_year`), this year's carryover year only, and never
    its own year's share.
    """
    start, end_initial, end_carry = periods(fiscal_year)
    initial = carry = next_grant = Decimal("0.00")
    for r in rows:
        if (
            r.share_year != fiscal_year
            or r.fund_source != fund
            or r.category == "CHILD_FIND_EVALUATION"
            or r.obligation_date > as_of
        ):
            continue
        if start <= r.obligation_date <= end_initial and not r.from_next_grant:
            initial += r.amount
        elif end_initial < r.obligation_date <= end_carry:
            carry += r.amount
            if r.from_next_grant:
                next_grant += r.amount
    return initial, carry, next_grant


def spent(
    rows: Iterable[Spending], fiscal_year: int, fund: str, as_of: dt.date
) -> tuple[Decimal, Decimal]:
    """(initial-period, carryover-year) federal spending that counts toward the share."""
    initial, carry, _ = spent_with_next_grant(rows, fiscal_year, fund, as_of)
    return initial, carry


def status(
    required: Decimal | None, initial: Decimal, carry: Decimal, fiscal_year: int, as_of: dt.date
) -> str | None:
    if required is None:
        return None
    if required == 0:
        return "NO_OBLIGATION"
    _, end_initial, end_carry = periods(fiscal_year)
    if initial >= required:
        return "MET"
    if as_of <= end_initial:
        return "OPEN"
    if initial + carry >= required:
        return "MET_WITH_CARRYOVER"
    if as_of <= end_carry:
        return "CARRYOVER_OPEN"
    return "NOT_MET"


@dataclass(frozen=True)
class ShareFigures:
    lea_id: str
    fiscal_year: int
    ppps_count_3_21: int | None
    public_count_3_21: int | None
    ppps_count_3_5: int | None
    public_count_3_5: int | None
    required_611: Decimal | None
    required_619: Decimal | None
    spent_611_initial: Decimal
    spent_611_carryover: Decimal
    spent_619_initial: Decimal
    spent_619_carryover: Decimal
    shortfall_611: Decimal | None
    shortfall_619: Decimal | None
    status_611: str | None
    status_619: str | None
    missing_reason: str | None
    spent_611_next_grant: Decimal = Decimal("0.00")
    spent_619_next_grant: Decimal = Decimal("0.00")


def lea_share(
    *,
    lea_id: str,
    fiscal_year: int,
    children: list[PrivateChild] | None,
    roster: list[tuple[str, dt.date, dt.date]] | None,
    allocation: tuple[Decimal, Decimal] | None,
    spending: list[Spending],
    rounding: str,
    count_home_schooled: bool,
    as_of: dt.date,
    private_schools_located: int = 1,
) -> ShareFigures:
    """Every figure of one LEA's obligation for one fiscal year. `None` inputs mean the file
    was not submitted; the figures that need it are then None, with the reason. An LEA with
    no count and no private school located in it has no PPPS children: zero, not missing.
    A submitted count with zero children counted makes both shares 0.00 even when the roster
    or the allocation is missing: the arithmetic no longer needs them. (The zero from the
    directory is no submitted count: the share still needs the roster and the allocation.)"""
    reasons = []
    submitted = children is not None
    if children is None and private_schools_located == 0:
        children = []
    elif children is None:
        reasons.append("no PPPS count submitted")
    if roster is None:
        reasons.append("no placement roster submitted")
    if allocation is None:
        reasons.append("no allocation loaded")
    p321 = p35 = u321 = u35 = None
    if children is not None:
        p321 = counted_ppps(children, count_home_schooled=count_home_schooled, low=3, high=21)
        p35 = counted_ppps(children, count_home_schooled=count_home_schooled, low=3, high=5)
    if roster is not None:
        u321, u35 = counted_public(roster, 3, 21), counted_public(roster, 3, 5)
    req611 = req619 = None
    if not reasons:
        req611 = required_share(allocation[0], u321, p321, rounding)
        req619 = required_share(allocation[1], u35, p35, rounding)
    if submitted and p321 == 0:  # no child aged 3-21, so none aged 3-5 either
        req611 = req619 = Decimal("0.00")
    i611, c611, n611 = spent_with_next_grant(spending, fiscal_year, "IDEA_611", as_of)
    i619, c619, n619 = spent_with_next_grant(spending, fiscal_year, "IDEA_619", as_of)

    def short(req: Decimal | None, i: Decimal, c: Decimal) -> Decimal | None:
        return None if req is None else max(req - i - c, Decimal("0.00"))

    return ShareFigures(
        lea_id=lea_id,
        fiscal_year=fiscal_year,
        ppps_count_3_21=p321,
        public_count_3_21=u321,
        ppps_count_3_5=p35,
        public_count_3_5=u35,
        required_611=req611,
        required_619=req619,
        spent_611_initial=i611,
        spent_611_carryover=c611,
        spent_619_initial=i619,
        spent_619_carryover=c619,
        shortfall_611=short(req611, i611, c611),
        shortfall_619=short(req619, i619, c619),
        status_611=status(req611, i611, c611, fiscal_year, as_of),
        status_619=status(req619, i619, c619, fiscal_year, as_of),
        missing_reason="; ".join(reasons) or None,
        spent_611_next_grant=n611,
        spent_619_next_grant=n619,
    )


def idea_reported(
    rows: Iterable[Spending], fiscal_year: int, as_of: dt.date
) -> tuple[Decimal, Decimal] | None:
    """(IDEA 611, IDEA 619) obligations charged to the fiscal year's grant up to the as-of
    date, counting toward the share or not (child find, dates outside both periods, payments of
    the year before's share); None when the LEA charged no IDEA obligation to the year."""
    found = False
    totals = {"IDEA_611": Decimal("0.00"), "IDEA_619": Decimal("0.00")}
    for r in rows:
        if r.fiscal_year == fiscal_year and r.fund_source in totals and r.obligation_date <= as_of:
            totals[r.fund_source] += r.amount
            found = True
    return (totals["IDEA_611"], totals["IDEA_619"]) if found else None


def has_share_row(
    *,
    count_submitted: bool,
    allocation: tuple[Decimal, Decimal] | None,
    spending: Iterable[Spending],
    fiscal_year: int,
    as_of: dt.date,
) -> bool:
    """Whether the LEA and fiscal year have a row of figures: an allocation, a PPPS count, IDEA
    spending charged to the year's grant, or IDEA spending of the next year's grant paying the
    year's share. Spending for a year with neither is shown, never dropped."""
    spending = list(spending)
    return (
        count_submitted
        or allocation is not None
        or idea_reported(spending, fiscal_year, as_of) is not None
        or any(
            r.share_year == fiscal_year
            and r.fund_source in ("IDEA_611", "IDEA_619")
            and r.obligation_date <= as_of
            for r in spending
        )
    )


def spending_without_allocation(
    *,
    allocation: tuple[Decimal, Decimal] | None,
    spending: Iterable[Spending],
    fiscal_year: int,
    as_of: dt.date,
) -> tuple[Decimal, Decimal] | None:
    """The finding IDEA_SPENDING_WITHOUT_ALLOCATION: (611, 619) reported spent for a fiscal
    year with no allocation on file (300.133, 300.705), or None. Usually a wrong fiscal year
    on the district's file, or an allocation not yet loaded."""
    if allocation is not None:
        return None
    return idea_reported(spending, fiscal_year, as_of)
