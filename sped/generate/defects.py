"""Realistic defects districts send, injected into a documented share of district files.

`scales.DEFECT_RATE` (4%) of district files carry exactly one defect, picked per file from the
kinds that apply to its collection; the manifest records it. Every kind is something real
district files get wrong. All block the file except `cp1252_accented_name`, which validation
reads with an encoding warning:

- bad_code: a code outside the code set (`LD`, `VISIT`, `YES`, `SPEECH`, `TUITION`).
- count_date_outside_window: the count date is September 30 (before the window).
- duplicate_rows: a few rows sent twice (duplicate student or expenditure ids).
- missing_column: a required column is missing from the header.
- age_out_of_range: a few birth dates making the child 25 on the count date.
- wrong_lea: another LEA's id inside the file.
- bad_dates: dates exported M/D/YYYY (accepted) mixed with impossible ones like `13/45/2024`.
- environment_age_mismatch: an early-childhood environment for a few school-age students.
- negative_amount: a refund typed as a negative obligation.
- unknown_race_code: a local race code (`HIS`, a student information system's own spelling of
  Hispanic) instead of the EDFacts one (HI7).
- blank_sex: sex left blank on a few rows (required from the first federal year).
- cp1252_accented_name: saved by Excel in Windows-1252, with an extra (unknown) student_name
  column holding accented names.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sped.contracts import get
from sped.generate.writers import us_dates

DISTRICT = ("placements", "monitoring_log", "child_find", "ppps_count", "expenditures")
DEFECTS: dict[str, tuple[str, ...]] = {
    "bad_code": DISTRICT,
    "count_date_outside_window": ("placements", "ppps_count"),
    "duplicate_rows": ("placements", "ppps_count", "expenditures", "child_find"),
    "missing_column": DISTRICT,
    "age_out_of_range": ("placements", "ppps_count"),
    "wrong_lea": DISTRICT,
    "bad_dates": DISTRICT,
    "environment_age_mismatch": ("placements",),
    "negative_amount": ("expenditures",),
    "unknown_race_code": ("placements", "ppps_count"),
    "blank_sex": ("placements",),
    "cp1252_accented_name": ("placements", "ppps_count", "child_find"),
}
#: Defects validation accepts with a warning (the file is still a defect in the manifest).
WARNING_ONLY = ("cp1252_accented_name",)
CODE_COLUMN = {
    "placements": ("disability_category", "LD"),
    "monitoring_log": ("activity_type", "VISIT"),
    "child_find": ("eligibility", "YES"),
    "ppps_count": ("disability_category", "SPEECH"),
    "expenditures": ("category", "TUITION"),
}
MISSING = {
    "placements": "birth_date",
    "monitoring_log": "conducted_by",
    "child_find": "eligibility",
    "ppps_count": "count_date",
    "expenditures": "amount",
}
NAMES = ("José Muñoz", "Zoë Lefèvre", "Inês Gonçalves", "François Côté", "Renée Ngô")


def applicable(collection: str) -> list[str]:
    return [kind for kind, colls in DEFECTS.items() if collection in colls]


def _dates(collection: str) -> list[str]:
    return [c.name for c in get(collection).columns if c.type == "date"]


def inject(
    frame: pl.DataFrame, collection: str, kind: str, other_lea: str, rng: np.random.Generator
) -> tuple[pl.DataFrame, str]:
    """The frame with one defect of `kind`, and the encoding to write it in."""
    rows = np.sort(rng.choice(frame.height, size=min(3, frame.height), replace=False)).tolist()
    hit = pl.int_range(pl.len()).is_in(rows)

    def put(col: str, value: str) -> pl.DataFrame:
        return frame.with_columns(
            pl.when(hit).then(pl.lit(value)).otherwise(pl.col(col)).alias(col)
        )

    if kind == "bad_code":
        return put(*CODE_COLUMN[collection]), "utf-8"
    if kind == "count_date_outside_window":
        return frame.with_columns(
            pl.lit(f"{frame['school_year'][0][:4]}-09-30").alias("count_date")
        ), "utf-8"
    if kind == "duplicate_rows":
        return pl.concat([frame, frame[rows]]), "utf-8"
    if kind == "missing_column":
        return frame.drop(MISSING[collection]), "utf-8"
    if kind == "age_out_of_range":
        return put("birth_date", f"{int(frame['count_date'][0][:4]) - 25}-01-15"), "utf-8"
    if kind == "wrong_lea":
        return frame.with_columns(pl.lit(other_lea).alias("lea_id")), "utf-8"
    if kind == "bad_dates":
        dates = _dates(collection)
        col = next(c for c in dates if c != "count_date" and frame[c].null_count() == 0)
        frame = us_dates(frame, dates)
        return put(
            col,
            "13/45/"
            + frame["school_year" if "school_year" in frame.columns else "fiscal_year"][0][:4],
        ), "utf-8"
    if kind == "environment_age_mismatch":
        old = frame.filter(pl.col("grade_level").is_in(["05", "06", "07", "08", "09", "10"]))
        ids = old["student_id"].head(3).to_list()
        return frame.with_columns(
            pl.when(pl.col("student_id").is_in(ids))
            .then(pl.lit("REC10YSVCS"))
            .otherwise(pl.col("educational_environment"))
            .alias("educational_environment")
        ), "utf-8"
    if kind == "unknown_race_code":
        return put("race_ethnicity", "HIS"), "utf-8"
    if kind == "blank_sex":
        return frame.with_columns(
            pl.when(hit).then(None).otherwise(pl.col("sex")).alias("sex")
        ), "utf-8"
    if kind == "negative_amount":
        return put("amount", "-" + frame["amount"][rows[0]]), "utf-8"
    if kind == "cp1252_accented_name":
        names = np.array(NAMES)[rng.integers(0, len(NAMES), frame.height)]
        return frame.with_columns(pl.Series("student_name", names)), "cp1252"
    raise ValueError(f"unknown defect {kind!r}")
