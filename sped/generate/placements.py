"""The placements extract: one LEA's roster on its count date, in the contract's columns.

Out-of-district students get a placement type by environment (separate schools: mostly approved
private day schools and collaboratives; residential: approved residential, out of state, state
facilities), so that about 60% of them are in private schools; a facility of that type; the
checklist flags mostly Y with realistic gaps; tuition by type; some long transport. The roster
carries each student's demographics (`demographics.py`: race, sex, el).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.generate.writers import to_text

PLACEMENT_TYPES_BY_ENV = {  # bucket -> (placement_type, weight)
    "SS": (
        ("APPROVED_PRIVATE_DAY", 0.62),
        ("COLLABORATIVE", 0.16),
        ("OTHER_DISTRICT", 0.08),
        ("UNAPPROVED_PRIVATE", 0.05),
        ("OUT_OF_STATE", 0.05),
        ("STATE_FACILITY", 0.04),
    ),
    "RF": (
        ("APPROVED_PRIVATE_RESIDENTIAL", 0.78),
        ("OUT_OF_STATE", 0.14),
        ("STATE_FACILITY", 0.08),
    ),
    "IN": (("COLLABORATIVE", 0.55), ("OTHER_DISTRICT", 0.45)),
}
FACILITY_TYPE = {
    "APPROVED_PRIVATE_DAY": "APPROVED_PRIVATE_DAY",
    "APPROVED_PRIVATE_RESIDENTIAL": "APPROVED_PRIVATE_RESIDENTIAL",
    "UNAPPROVED_PRIVATE": "UNAPPROVED_PRIVATE",
    "COLLABORATIVE": "COLLABORATIVE",
    "OUT_OF_STATE": "OUT_OF_STATE",
    "STATE_FACILITY": "STATE_FACILITY",
    "OTHER_DISTRICT": "PUBLIC_DISTRICT",
}
TUITION = {  # annual tuition range, dollars
    "APPROVED_PRIVATE_DAY": (45_000, 95_000),
    "APPROVED_PRIVATE_RESIDENTIAL": (150_000, 350_000),
    "UNAPPROVED_PRIVATE": (40_000, 90_000),
    "OUT_OF_STATE": (80_000, 260_000),
    "COLLABORATIVE": (30_000, 65_000),
    "OTHER_DISTRICT": (20_000, 45_000),
}
PRIVATE = ("APPROVED_PRIVATE_DAY", "APPROVED_PRIVATE_RESIDENTIAL", "UNAPPROVED_PRIVATE")


def _placement_types(env: np.ndarray, ood: np.ndarray, pick: np.ndarray) -> np.ndarray:
    bucket = np.where(env == "RF", "RF", np.where(env == "SS", "SS", "IN"))
    ptype = np.full(len(env), "IN_DISTRICT", dtype="<U32")
    for b, options in PLACEMENT_TYPES_BY_ENV.items():
        cum = np.cumsum([w for _, w in options])
        idx = np.minimum(np.searchsorted(cum / cum[-1], pick), len(options) - 1)
        names = np.array([t for t, _ in options])
        mask = ood & (bucket == b)
        ptype[mask] = names[idx[mask]]
    return ptype


def placements(
    roster: pl.DataFrame,
    lea_id: str,
    school_year: str,
    count_date: dt.date,
    facilities: pl.DataFrame,
) -> pl.DataFrame:
    """The placements file of one LEA (strings, contract order)."""
    n = roster.height
    env = roster["env"].to_numpy().astype(str)
    ood = roster["ood"].to_numpy()
    ptype = _placement_types(env, ood, roster["type_pick"].to_numpy())
    fac = np.full(n, "", dtype="<U16")
    fstate = np.full(n, "", dtype="<U2")
    fpick = roster["facility_pick"].to_numpy()
    for pname, ftype in FACILITY_TYPE.items():
        mask = ptype == pname
        if not mask.any():
            continue
        pool = facilities.filter(
            (pl.col("facility_type") == ftype) & (pl.col("facility_id") != f"D{lea_id}")
        )
        if pool.height == 0:
            ptype[mask] = "IN_DISTRICT"
            continue
        k = (fpick[mask] * pool.height).astype(int)
        fac[mask] = pool["facility_id"].to_numpy()[k]
        if pname == "OUT_OF_STATE":
            fstate[mask] = pool["state"].to_numpy()[k]
    ood = ptype != "IN_DISTRICT"
    private = np.isin(ptype, PRIVATE)
    contract_needed = private | (ptype == "OUT_OF_STATE")
    residential = (ptype == "APPROVED_PRIVATE_RESIDENTIAL") | (env == "RF")
    u1, u2, u3 = (roster[c].to_numpy() for c in ("u1", "u2", "u3"))
    twndp = roster["twndp"].to_numpy()
    base = roster["transport"].to_numpy()
    transport = np.where(ood, base + (u3 * 55).astype(int), base)
    lo, hi = np.zeros(n), np.zeros(n)
    for t, (a, b) in TUITION.items():
        lo[ptype == t], hi[ptype == t] = a, b
    tuition = np.where(hi > 0, np.round(lo + (hi - lo) * u2, -2), np.nan)

    def flag(needed: np.ndarray, yes: np.ndarray) -> np.ndarray:
        return np.where(needed, np.where(yes, "Y", "N"), "")

    frame = roster.select(
        pl.lit(lea_id).alias("lea_id"),
        pl.lit(school_year).alias("school_year"),
        pl.lit(count_date).alias("count_date"),
        "student_id",
        "birth_date",
        pl.col("grade").alias("grade_level"),
        pl.col("dis").alias("disability_category"),
        pl.col("env").alias("educational_environment"),
        pl.col("start").alias("placement_start_date"),
        pl.col("twndp").alias("twndp_pct"),
    ).with_columns(
        pl.Series("placement_type", ptype),
        pl.Series("facility_id", fac),
        pl.Series("facility_state", fstate),
        pl.Series("lre_checklist_on_file", flag(twndp <= 40, u1 < 0.93)),
        pl.Series("contract_on_file", flag(contract_needed, u2 < 0.94)),
        pl.Series("monitoring_plan_on_file", flag(ood, u3 < 0.9)),
        pl.Series("transport_minutes_one_way", transport.astype(str)),
        pl.Series("transport_team_approved", flag(transport > 60, u1 < 0.75)),
        pl.Series("return_criteria_documented", flag(residential, u2 < 0.88)),
        pl.Series("annual_tuition", tuition),
        roster["race"].alias("race_ethnicity"),
        roster["sex"].alias("sex"),
        roster["el"].alias("english_learner"),
    )
    return to_text(frame, "placements")
