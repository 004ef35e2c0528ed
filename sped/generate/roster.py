"""The placement roster: students with IEPs per LEA, carried from one year to the next.

Ages, disability mix and environments follow the state's federal 618 counts; the
out-of-district rate varies by LEA around the state mean. Everything is vectorised per LEA.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.contracts.codes import DISABILITY_CATEGORIES
from sped.generate.scales import OOD_RATE_MEAN, RETENTION

DIS = np.array(DISABILITY_CATEGORIES)
IN_DISTRICT_ENVS = ["RC80", "RC79TO40", "RC39", "HH", "CF"]
EC_IN_DISTRICT = ["REC10YSVCS", "REC10YOTHLOC", "REC09YSVCS", "REC09YOTHLOC", "H", "SPL", "SC"]
OOD_TYPES = {  # (placement_type, weight, facility types it uses)
    "SS": [
        ("APPROVED_PRIVATE_DAY", 0.50),
        ("COLLABORATIVE", 0.25),
        ("OTHER_DISTRICT", 0.12),
        ("UNAPPROVED_PRIVATE", 0.05),
        ("OUT_OF_STATE", 0.05),
        ("STATE_FACILITY", 0.03),
    ],
    "RF": [
        ("APPROVED_PRIVATE_RESIDENTIAL", 0.75),
        ("OUT_OF_STATE", 0.15),
        ("STATE_FACILITY", 0.10),
    ],
    "IN": [("COLLABORATIVE", 0.55), ("OTHER_DISTRICT", 0.45)],
}
FACILITY_TYPE_FOR = {
    "APPROVED_PRIVATE_DAY": "APPROVED_PRIVATE_DAY",
    "APPROVED_PRIVATE_RESIDENTIAL": "APPROVED_PRIVATE_RESIDENTIAL",
    "UNAPPROVED_PRIVATE": "UNAPPROVED_PRIVATE",
    "COLLABORATIVE": "COLLABORATIVE",
    "OUT_OF_STATE": "OUT_OF_STATE",
    "STATE_FACILITY": "STATE_FACILITY",
    "OTHER_DISTRICT": "PUBLIC_DISTRICT",
}
TUITION = {
    "APPROVED_PRIVATE_DAY": (45_000, 95_000),
    "APPROVED_PRIVATE_RESIDENTIAL": (150_000, 350_000),
    "UNAPPROVED_PRIVATE": (40_000, 90_000),
    "OUT_OF_STATE": (80_000, 260_000),
    "COLLABORATIVE": (30_000, 65_000),
    "OTHER_DISTRICT": (20_000, 45_000),
    "STATE_FACILITY": (0, 0),
}


def _p(weights: dict[str, float], keys) -> np.ndarray:
    w = np.array([max(float(weights.get(k, 0)), 0.0) for k in keys]) + 1e-9
    return w / w.sum()


def new_students(n: int, cal: dict, rng: np.random.Generator, young: bool = False) -> dict:
    """Ages and disabilities of `n` new students (young=True: mostly newly identified 3-8)."""
    ages_w = cal["ages"]
    keys = list(range(3, 22))
    w = np.array([ages_w[str(a)] for a in keys], dtype=float)
    if young:
        w = w * np.where(np.array(keys) <= 8, 6.0, 0.4)
    age = rng.choice(keys, size=n, p=w / w.sum())
    mix_ec = _p(cal["disability_mix_3_5"], DIS)
    mix_sa = _p(cal["disability_mix_6_21"], DIS)
    dis = np.where(age <= 5, rng.choice(DIS, size=n, p=mix_ec), rng.choice(DIS, size=n, p=mix_sa))
    return {"age": age, "dis": dis}


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """np.char.zfill that also takes an empty array (numpy's raises on one)."""
    return np.char.zfill(values, width) if values.size else values.astype(f"<U{width}")


def grade_for(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grade = np.where(age <= 4, "PK", "")
    five = np.where(rng.random(age.shape) < 0.8, "KG", "PK")
    grade = np.where(age == 5, five, grade)
    school = zfill(np.clip(age - 5, 1, 12).astype(str), 2)
    grade = np.where(age >= 6, school, grade)
    return np.where((age >= 19) & (rng.random(age.shape) < 0.3), "UG", grade)


def environments(age, grade, dis, ood, cal, rng) -> np.ndarray:
    n = len(age)
    school_age = (age >= 6) | ((age == 5) & (grade == "KG"))
    env = np.empty(n, dtype=object)
    sa_w = {e: sum(cal["environments_6_21"][e].values()) for e in IN_DISTRICT_ENVS}
    env_sa = rng.choice(IN_DISTRICT_ENVS, size=n, p=_p(sa_w, IN_DISTRICT_ENVS))
    ec_w = {e: sum(cal["environments_3_5"][e].values()) for e in EC_IN_DISTRICT}
    env_ec = rng.choice(EC_IN_DISTRICT, size=n, p=_p(ec_w, EC_IN_DISTRICT))
    ood_sa = rng.choice(["SS", "RF", "RC39", "RC79TO40"], size=n, p=[0.72, 0.12, 0.1, 0.06])
    ood_ec = rng.choice(["SS", "SC", "RF"], size=n, p=[0.6, 0.38, 0.02])
    env[:] = np.where(school_age, np.where(ood, ood_sa, env_sa), np.where(ood, ood_ec, env_ec))
    return env.astype(str)


def twndp_for(env: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(env.shape)
    pct = np.select(
        [
            env == "RC80",
            env == "RC79TO40",
            env == "RC39",
            np.isin(env, ["REC10YSVCS", "REC09YSVCS", "REC10YOTHLOC", "REC09YOTHLOC"]),
        ],
        [80 + 20 * u, 40 + 39.9 * u, 39.9 * u, 50 + 50 * u],
        default=25 * u,
    )
    return np.round(pct, 1)


def lea_ood_rates(n_leas: int, rng: np.random.Generator) -> np.ndarray:
    """Out-of-district rate per LEA: lognormal around the state mean, 0.5% to 25%."""
    return np.clip(rng.lognormal(np.log(OOD_RATE_MEAN) - 0.18, 0.6, n_leas), 0.005, 0.25)


def first_roster(
    lea_id: str, size: int, ood_rate: float, numeric_ids: bool, cal: dict, rng: np.random.Generator
) -> pl.DataFrame:
    s = new_students(size, cal, rng)
    ids = _ids(lea_id, 0, size, numeric_ids)
    return _roster_frame(
        ids, s["age"], s["dis"], ood_rate, cal, rng, birth_offset=rng.integers(0, 365, size)
    )


def next_roster(
    prev: pl.DataFrame,
    lea_id: str,
    year_index: int,
    growth: float,
    ood_rate: float,
    numeric_ids: bool,
    cal: dict,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Next year's roster: most students stay a year older (same id, environment kept unless
    they age into school age), some exit or age out, new students arrive."""
    keep = (rng.random(prev.height) < RETENTION) & (prev["age"].to_numpy() < 21)
    stay = prev.filter(pl.Series(keep))
    n_new = max(0, round(prev.height * growth) - stay.height)
    s = new_students(n_new, cal, rng, young=True)
    ids = _ids(lea_id, year_index, n_new, numeric_ids)
    fresh = _roster_frame(
        ids, s["age"], s["dis"], ood_rate, cal, rng, birth_offset=rng.integers(0, 365, n_new)
    )
    age = stay["age"].to_numpy() + 1
    grade = grade_for(age, rng)
    dis = stay["dis"].to_numpy().astype(str)
    dis = np.where((dis == "DD") & (age > 9), "SLD", dis)
    env = stay["env"].to_numpy().astype(str)
    ood = stay["ood"].to_numpy()
    crossed = (age == 6) | ((age == 5) & (grade == "KG"))
    redo = environments(age, grade, dis, ood, cal, rng)
    env = np.where(crossed, redo, env)
    older = stay.with_columns(
        pl.Series("age", age),
        pl.Series("grade", grade),
        pl.Series("dis", dis),
        pl.Series("env", env),
        pl.Series("twndp", np.where(crossed, twndp_for(env, rng), stay["twndp"].to_numpy())),
    )
    return pl.concat([older, fresh], how="vertical")


def _ids(lea_id: str, year_index: int, n: int, numeric: bool) -> np.ndarray:
    seq = np.arange(n) + year_index * 1_000_000
    if numeric:  # numeric ids with leading zeros: a type-inferring reader would break them
        return np.char.add(lea_id[2:] + "0", zfill(seq.astype(str), 6))
    return np.char.add(f"S{year_index}", zfill(np.arange(n).astype(str), 6))


def _roster_frame(ids, age, dis, ood_rate, cal, rng, birth_offset) -> pl.DataFrame:
    n = len(ids)
    dis = np.where((dis == "DD") & (age > 9), "SLD", dis)
    ood = rng.random(n) < ood_rate
    grade = grade_for(age, rng)
    env = environments(age, grade, dis, ood, cal, rng)
    return pl.DataFrame(
        {
            "student_id": ids,
            "age": age.astype(np.int64),
            "birth_offset": birth_offset,
            "dis": dis,
            "grade": grade,
            "env": env,
            "ood": ood,
            "twndp": twndp_for(env, rng),
            "facility_pick": rng.random(n),
            "type_pick": rng.random(n),
            "tenure_days": rng.integers(20, 1500, n),
            "u1": rng.random(n),
            "u2": rng.random(n),
            "u3": rng.random(n),
            "transport": rng.integers(5, 45, n),
        }
    )


def placement_columns(
    frame: pl.DataFrame,
    count_date: dt.date,
    facilities: pl.DataFrame,
    home_lea_facility: str,
    rng: np.random.Generator,
) -> dict:
    """Placement type, facility and the checklist flags for one LEA's roster."""
    env = frame["env"].to_numpy().astype(str)
    ood = frame["ood"].to_numpy()
    n = len(env)
    bucket = np.where(env == "RF", "RF", np.where(np.isin(env, ["SS"]), "SS", "IN"))
    ptype = np.full(n, "IN_DISTRICT", dtype=object)
    pick = frame["type_pick"].to_numpy()
    for b, options in OOD_TYPES.items():
        cum = np.cumsum([w for _, w in options])
        idx = np.searchsorted(cum / cum[-1], pick)
        names = np.array([t for t, _ in options])
        mask = ood & (bucket == b)
        ptype[mask] = names[idx[mask]]
    fac = np.full(n, "", dtype=object)
    fstate = np.full(n, "", dtype=object)
    fpick = frame["facility_pick"].to_numpy()
    for ptype_name, ftype in FACILITY_TYPE_FOR.items():
        pool = facilities.filter(pl.col("facility_type") == ftype)
        if ftype == "PUBLIC_DISTRICT":
            pool = pool.filter(pl.col("facility_id") != home_lea_facility)
        mask = ptype == ptype_name
        if not mask.any() or pool.height == 0:
            ptype[mask & (pool.height == 0)] = "IN_DISTRICT"
            continue
        ids = pool["facility_id"].to_numpy()
        states = pool["state"].to_numpy()
        k = (fpick[mask] * len(ids)).astype(int)
        fac[mask] = ids[k]
        if ptype_name == "OUT_OF_STATE":
            fstate[mask] = states[k]
    ood = ptype != "IN_DISTRICT"
    private = np.isin(
        ptype,
        [
            "APPROVED_PRIVATE_DAY",
            "APPROVED_PRIVATE_RESIDENTIAL",
            "UNAPPROVED_PRIVATE",
            "OUT_OF_STATE",
        ],
    )
    residential = (ptype == "APPROVED_PRIVATE_RESIDENTIAL") | (env == "RF")
    u1, u2, u3 = (frame[c].to_numpy() for c in ("u1", "u2", "u3"))
    twndp = frame["twndp"].to_numpy()
    transport = np.where(
        ood, frame["transport"].to_numpy() + (u3 * 60).astype(int), frame["transport"].to_numpy()
    )
    lo, hi = np.zeros(n), np.zeros(n)
    for t, (a, b) in TUITION.items():
        lo[ptype == t], hi[ptype == t] = a, b
    tuition = np.where(ood, np.round(lo + (hi - lo) * u2, -2), np.nan)
    start = count_date - dt.timedelta(days=1)
    return {
        "placement_type": ptype.astype(str),
        "facility_id": fac.astype(str),
        "facility_state": fstate.astype(str),
        "placement_start": np.datetime64(start)
        - frame["tenure_days"].to_numpy().astype("timedelta64[D]"),
        "lre_checklist": np.where(twndp <= 40, np.where(u1 < 0.93, "Y", "N"), ""),
        "contract": np.where(private, np.where(u2 < 0.93, "Y", "N"), ""),
        "monitoring_plan": np.where(ood, np.where(u3 < 0.9, "Y", "N"), ""),
        "transport": transport,
        "team_approved": np.where(transport > 60, np.where(u1 < 0.8, "Y", "N"), ""),
        "return_criteria": np.where(residential, np.where(u2 < 0.88, "Y", "N"), ""),
        "tuition": tuition,
    }
