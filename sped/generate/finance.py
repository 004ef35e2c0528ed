"""Money: the state's IDEA allocations per LEA and the LEAs' equitable-services spending.

Allocations: 611 subgrant near $1,800 per student with an IEP, 619 near $700 per 3-5 year old
(noise +-10%). Expenditures, for LEAs with PPPS children: obligations against the proportionate
share (34 CFR 300.133) charged to IDEA 611/619 in the four counting categories, dated in the initial
period (July 1 FY to Sept 30 FY+1) and some in the carryover year (to Sept 30 FY+2); most LEAs meet
the share in the initial period, some only with carryover, some fall short. STATE/LOCAL funds and
child-find evaluations appear too and never count. Nothing is dated after the as-of date.

Where the state lets the next year's grant pay a carryover obligation (docs/rules/
proportionate_share.md), some LEAs' FY+1 files also hold IDEA 611 rows applying to FY
(`applies_to_fiscal_year`), obligated in FY's carryover year (`next_grant_rows`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.generate.writers import cents, to_text

PER_STUDENT_611 = 1_800
PER_CHILD_619 = 700
BEHAVIOURS = ("initial", "carryover", "short")
BEHAVIOUR_P = (0.6, 0.22, 0.18)
SHARE_SPENT = {  # share of the requirement obligated in (initial period, carryover year)
    "initial": (1.05, 0.0),
    "carryover": (0.7, 0.4),
    "short": (0.6, 0.1),
}
CATEGORIES = np.array(
    ["DIRECT_SERVICES", "RELATED_SERVICES", "TRANSPORTATION", "MATERIALS_EQUIPMENT"]
)
CATEGORY_P = np.array([0.5, 0.25, 0.1, 0.15])


def allocations(
    lea_ids: list[str],
    counts: dict[str, tuple[int, int]],
    fiscal_year: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The allocations file (contract columns) with float amounts kept in `a611`/`a619`."""
    total = np.array([counts.get(i, (0, 0))[0] for i in lea_ids], float)
    young = np.array([counts.get(i, (0, 0))[1] for i in lea_ids], float)
    a611 = np.round(total * PER_STUDENT_611 * rng.uniform(0.9, 1.1, len(lea_ids)), 2)
    a619 = np.round(young * PER_CHILD_619 * rng.uniform(0.9, 1.1, len(lea_ids)), 2)
    return pl.DataFrame(
        {
            "lea_id": lea_ids,
            "fiscal_year": str(fiscal_year),
            "a611": a611,
            "a619": a619,
        }
    ).with_columns(
        cents(pl.col("a611")).alias("idea_611_subgrant"),
        cents(pl.col("a619")).alias("idea_619_subgrant"),
    )


def expenditures(
    lea_id: str,
    fiscal_year: int,
    required: tuple[float, float],
    as_of: dt.date,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """One LEA's expenditures file for a fiscal year (strings, contract order)."""
    behaviour = BEHAVIOURS[int(rng.choice(3, p=BEHAVIOUR_P))]
    start = dt.date(fiscal_year, 7, 1)
    end_initial = dt.date(fiscal_year + 1, 9, 30)
    end_carry = dt.date(fiscal_year + 2, 9, 30)
    periods = ((start, end_initial), (end_initial + dt.timedelta(days=1), end_carry))
    funds, amounts, days = [], [], []
    for fund, need in (("IDEA_611", required[0]), ("IDEA_619", required[1])):
        if need <= 0:
            continue
        for share, (lo, hi) in zip(SHARE_SPENT[behaviour], periods, strict=True):
            if share <= 0:
                continue
            k = int(rng.integers(2, 7))
            amounts.append(rng.dirichlet(np.ones(k)) * need * share)
            funds += [fund] * k
            days.append(np.datetime64(lo) + rng.integers(0, (hi - lo).days + 1, k))
    for fund, cat in (
        ("IDEA_611", "CHILD_FIND_EVALUATION"),
        ("STATE", "DIRECT_SERVICES"),
        ("LOCAL", "TRANSPORTATION"),
    ):
        if rng.random() < 0.4:
            amounts.append(rng.uniform(500, 8000, 1))
            funds.append(fund + "|" + cat)
            days.append(np.datetime64(start) + rng.integers(0, 200, 1))
    amount = np.concatenate(amounts) if amounts else np.zeros(0)
    day = np.concatenate(days) if days else np.zeros(0, "datetime64[D]")
    cat = CATEGORIES[np.searchsorted(np.cumsum(CATEGORY_P), rng.random(len(amount)) * 0.999999)]
    fund = np.array([f.split("|")[0] for f in funds], dtype="<U12")
    cat = np.array([f.split("|")[1] if "|" in f else c for f, c in zip(funds, cat, strict=True)])
    keep = (day <= np.datetime64(as_of)) & (np.round(amount, 2) > 0)
    frame = (
        pl.DataFrame(
            {
                "fund_source": fund[keep],
                "category": cat[keep],
                "amount": amount[keep],
                "obligation_date": day[keep].astype("datetime64[D]"),
            },
            schema_overrides={
                "obligation_date": pl.Date,
                "fund_source": pl.String,
                "category": pl.String,
            },
        )
        .sort("obligation_date", "fund_source", "category", "amount")
        .with_columns(
            pl.lit(lea_id).alias("lea_id"),
            pl.lit(str(fiscal_year)).alias("fiscal_year"),
            pl.format(
                "E{}-{}",
                pl.lit(fiscal_year),
                (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(4),
            ).alias("expenditure_id"),
            pl.lit(None, pl.String).alias("applies_to_fiscal_year"),
        )
    )
    return to_text(frame, "expenditures")


#: Share of LEAs whose next year's grant pays part of a year's carryover obligation.
NEXT_GRANT_P = 0.15


def next_grant_rows(
    lea_id: str,
    fiscal_year: int,
    previous_need_611: float,
    as_of: dt.date,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Rows of the FY `fiscal_year` file paying part of FY `fiscal_year - 1`'s 611 share from
    this year's grant, obligated in that year's carryover year (October 1 of `fiscal_year` to
    September 30 of the next) and by the as-of date; none for most LEAs."""
    first, last = dt.date(fiscal_year, 10, 1), min(dt.date(fiscal_year + 1, 9, 30), as_of)
    if previous_need_611 <= 0 or rng.random() >= NEXT_GRANT_P or last < first:
        return to_text(_empty_spending(), "expenditures")
    k = int(rng.integers(1, 3))
    days = np.datetime64(first) + rng.integers(0, (last - first).days + 1, k)
    amount = rng.dirichlet(np.ones(k)) * previous_need_611 * rng.uniform(0.1, 0.3)
    keep = (days <= np.datetime64(as_of)) & (np.round(amount, 2) > 0)
    frame = pl.DataFrame(
        {
            "lea_id": lea_id,
            "fiscal_year": str(fiscal_year),
            "expenditure_id": [f"N{fiscal_year}-{n + 1:04d}" for n in range(int(keep.sum()))],
            "fund_source": "IDEA_611",
            "category": CATEGORIES[rng.integers(0, 2, k)][keep],
            "amount": amount[keep],
            "obligation_date": days[keep].astype("datetime64[D]"),
            "applies_to_fiscal_year": str(fiscal_year - 1),
        },
        schema_overrides={"obligation_date": pl.Date, "category": pl.String},
    )
    return to_text(frame.sort("obligation_date", "amount"), "expenditures")


def _empty_spending() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "lea_id": pl.String,
            "fiscal_year": pl.String,
            "expenditure_id": pl.String,
            "fund_source": pl.String,
            "category": pl.String,
            "amount": pl.Float64,
            "obligation_date": pl.Date,
            "applies_to_fiscal_year": pl.String,
        }
    )
