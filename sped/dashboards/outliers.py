"""Which LEAs place students out of district far more (or less) than the state: a funnel plot.

Method (shown on the out-of-district page as `METHOD`): if every LEA placed students out of
district at the state's rate p, an LEA with n students would have a rate whose spread shrinks
as n grows: its standard error is sqrt(p (1 - p) / n) (binomial). The control limits are
p +/- z * that error, with z = 1.96 (95%) and z = 3.09 (99.8%). An LEA outside the 99.8% limits
is flagged `HIGH` or `LOW`: with 400 LEAs placing at the state rate, fewer than one would fall
outside them by chance. Between the 95% and 99.8% limits it is `WATCH`; otherwise `WITHIN`.
Small LEAs are not flagged for rates that are only large because their roster is small, which a
ranking or a z-score across LEAs (the spread of the rates) would do. This is the funnel plot
of Spiegelhalter, "Funnel plots for comparing institutional performance", Statistics in
Medicine 24 (2005), with the normal approximation to the binomial limits.
"""

from __future__ import annotations

import math

import polars as pl

Z_WARNING = 1.96
Z_ALARM = 3.09

METHOD = (
    "Funnel plot: an LEA is flagged when its rate lies outside p \u00b1 3.09\u00b7"
    "\u221a(p(1\u2212p)/n), where p is the state's rate that year and n the LEA's students "
    "(99.8% binomial control limits: fewer than one LEA in 400 would fall outside them by "
    "chance if every LEA placed at the state rate). Between the 95% limits (1.96) and the "
    "99.8% limits an LEA is marked to watch. Small LEAs are not flagged for rates that only "
    "look extreme because their roster is small (Spiegelhalter 2005)."
)


def limits(p: float, n: float, z: float) -> tuple[float, float]:
    """(lower, upper) control limits for a rate p on n cases, clipped to [0, 1]."""
    if n <= 0:
        return 0.0, 1.0
    half = z * math.sqrt(p * (1 - p) / n)
    return max(0.0, p - half), min(1.0, p + half)


def flag(rate: float | None, p: float, n: float) -> str | None:
    """HIGH, LOW, WATCH or WITHIN for one LEA; None without a rate."""
    if rate is None or n <= 0:
        return None
    low, high = limits(p, n, Z_ALARM)
    if rate > high:
        return "HIGH"
    if rate < low:
        return "LOW"
    low, high = limits(p, n, Z_WARNING)
    return "WATCH" if not low <= rate <= high else "WITHIN"


def flag_rates(
    rows: pl.DataFrame,
    *,
    rate: str = "ood_rate",
    n: str = "students",
    state_rate: str = "state_ood_rate",
) -> pl.DataFrame:
    """`rows` with the 99.8% limits (`lower_limit`, `upper_limit`) and `outlier_flag`."""
    lower, upper, flags = [], [], []
    for r, size, p in zip(rows[rate], rows[n], rows[state_rate], strict=True):
        if p is None or size is None:
            lower.append(None)
            upper.append(None)
            flags.append(None)
            continue
        lo, hi = limits(p, size, Z_ALARM)
        lower.append(lo)
        upper.append(hi)
        flags.append(flag(r, p, size))
    return rows.with_columns(
        pl.Series("lower_limit", lower, dtype=pl.Float64),
        pl.Series("upper_limit", upper, dtype=pl.Float64),
        pl.Series("outlier_flag", flags, dtype=pl.String),
    )
