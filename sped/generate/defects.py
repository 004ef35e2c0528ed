"""Realistic defects districts send, injected into a documented share of files.

Each defect is one thing a real district file gets wrong; validation must catch every one of
them with a clear message. `DEFECTS` maps each kind to the collections it applies to.
"""

from __future__ import annotations

import numpy as np
import polars as pl

DEFECTS: dict[str, tuple[str, ...]] = {
    "bad_code": ("placements", "monitoring_log", "child_find", "ppps_count", "expenditures"),
    "count_date_outside_window": ("placements", "ppps_count"),
    "duplicate_rows": ("placements", "ppps_count", "expenditures"),
    "missing_column": ("placements", "monitoring_log", "child_find", "ppps_count", "expenditures"),
    "age_out_of_range": ("placements", "ppps_count"),
    "wrong_lea": ("placements", "monitoring_log", "child_find", "ppps_count", "expenditures"),
    "bad_dates": ("placements", "monitoring_log", "child_find", "ppps_count", "expenditures"),
}
CODE_COLUMN = {
    "placements": ("disability_category", "LD"),
    "monitoring_log": ("activity_type", "VISIT"),
    "child_find": ("eligibility", "YES"),
    "ppps_count": ("disability_category", "SPEECH"),
    "expenditures": ("category", "TUITION"),
}
DATE_COLUMN = {
    "placements": "birth_date",
    "monitoring_log": "activity_date",
    "child_find": "referral_date",
    "ppps_count": "birth_date",
    "expenditures": "obligation_date",
}
MISSING = {
    "placements": "birth_date",
    "monitoring_log": "conducted_by",
    "child_find": "eligibility",
    "ppps_count": "count_date",
    "expenditures": "amount",
}


def applicable(collection: str) -> list[str]:
    return [kind for kind, colls in DEFECTS.items() if collection in colls]


def inject(
    frame: pl.DataFrame, collection: str, kind: str, other_lea: str, rng: np.random.Generator
) -> pl.DataFrame:
    """The frame with one defect of `kind` (a few rows, or the whole file)."""
    if frame.height == 0:
        return frame
    rows = np.sort(rng.choice(frame.height, size=min(3, frame.height), replace=False))
    idx = pl.int_range(pl.len())
    hit = idx.is_in(rows.tolist())
    if kind == "bad_code":
        col, bad = CODE_COLUMN[collection]
        return frame.with_columns(pl.when(hit).then(pl.lit(bad)).otherwise(pl.col(col)).alias(col))
    if kind == "count_date_outside_window":
        fall = frame["school_year"][0][:4]
        return frame.with_columns(pl.lit(f"{fall}-09-30").alias("count_date"))
    if kind == "duplicate_rows":
        return pl.concat([frame, frame[rows.tolist()]])
    if kind == "missing_column":
        return frame.drop(MISSING[collection])
    if kind == "age_out_of_range":
        year = int(frame["count_date"][0][:4])
        return frame.with_columns(
            pl.when(hit)
            .then(pl.lit(f"{year - 25}-01-15"))
            .otherwise(pl.col("birth_date"))
            .alias("birth_date")
        )
    if kind == "wrong_lea":
        return frame.with_columns(pl.lit(other_lea).alias("lea_id"))
    if kind == "bad_dates":
        col = DATE_COLUMN[collection]
        return frame.with_columns(
            pl.when(hit).then(pl.lit("13/45/2024")).otherwise(pl.col(col)).alias(col)
        )
    raise ValueError(f"unknown defect {kind!r}")
