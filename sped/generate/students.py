"""Students with IEPs per LEA, carried from one year to the next (vectorised per LEA).

Ages, the disability mix and environments by disability follow the state's federal 618 counts;
the out-of-district flag follows the LEA's rate, weighted by disability (separate-school and
residential shares per disability in the 618 file). Next year: same id, one year older, grade + 1,
some exit or age out, new (mostly young) students arrive. A roster holds working columns; the
placements module turns it into the contract's columns.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.contracts.codes import DISABILITY_CATEGORIES, SCHOOL_AGE_ENVIRONMENTS
from sped.contracts.codes import EARLY_CHILDHOOD_ENVIRONMENTS as EC_ENVIRONMENTS
from sped.generate.scales import GROWTH, OOD_RATE_MEAN, RETENTION

DIS = np.array(DISABILITY_CATEGORIES)
AGES = np.arange(3, 22)
SA_IN_DISTRICT = np.array(["RC80", "RC79TO40", "RC39", "HH", "CF"])
EC_IN_DISTRICT = np.array(
    ["REC10YSVCS", "REC10YOTHLOC", "REC09YSVCS", "REC09YOTHLOC", "SC", "H", "SPL"]
)
#: Environments of out-of-district students: school age (mostly separate schools), early
#: childhood (separate classes and schools elsewhere).
SA_OOD = (np.array(["SS", "RF", "RC39", "RC79TO40"]), np.array([0.72, 0.12, 0.10, 0.06]))
EC_OOD = (np.array(["SS", "SC", "RF"]), np.array([0.6, 0.38, 0.02]))


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """np.char.zfill that also takes an empty array (numpy's raises on one)."""
    values = np.asarray(values).astype(str)
    return np.char.zfill(values, width) if values.size else values.astype(f"<U{width}")


def _norm(w: np.ndarray) -> np.ndarray:
    w = np.maximum(np.asarray(w, dtype=float), 0) + 1e-9
    return w / w.sum(axis=-1, keepdims=True)


class Mix:
    """Probabilities derived once from the calibration tables."""

    def __init__(self, cal: dict, dd_range: tuple[int, int]):
        self.dd_range = dd_range
        self.ages = _norm([cal["ages"][str(a)] for a in AGES])
        self.young_ages = _norm(self.ages * np.where(AGES <= 8, 6.0, 0.4))
        self.dis_ec = _norm([cal["disability_mix_3_5"][d] for d in DIS])
        self.dis_sa = _norm([cal["disability_mix_6_21"][d] for d in DIS])
        sa, ec = cal["environments_6_21"], cal["environments_3_5"]
        self.env_sa = _norm([[sa[e][d] for e in SA_IN_DISTRICT] for d in DIS])  # 13 x envs
        self.env_ec = _norm([[ec[e][d] for e in EC_IN_DISTRICT] for d in DIS])
        separate = np.array([sa["SS"][d] + sa["RF"][d] for d in DIS], float)
        total = np.array([sum(sa[e][d] for e in sa) for d in DIS], float)
        share = separate / np.maximum(total, 1)
        overall = separate.sum() / max(total.sum(), 1)
        self.ood_factor = np.clip(share / max(overall, 1e-9), 0.2, 8.0)  # by disability


def _pick(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index drawn per row from row-wise probabilities (one uniform per row)."""
    cum = np.cumsum(probs, axis=-1)
    cum[..., -1] = 1.0 + 1e-9
    return (u[:, None] >= cum).sum(axis=1)


def dis_index(dis: np.ndarray) -> np.ndarray:
    """Position of each disability code in DISABILITY_CATEGORIES."""
    order = np.argsort(DIS)
    return order[np.searchsorted(DIS[order], dis)] if len(dis) else np.zeros(0, int)


def fix_dd(dis: np.ndarray, age: np.ndarray, dd_range: tuple[int, int]) -> np.ndarray:
    """Developmental delay only inside the state's DD ages (re-evaluated into SLD / SLI)."""
    out = np.where((dis == "DD") & (age > dd_range[1]), "SLD", dis)
    return np.where((out == "DD") & (age < dd_range[0]), "SLI", out)


def grade_for(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Grade consistent with age on the count date (5: mostly KG; 19+: some ungraded)."""
    school = zfill(np.clip(age - 5, 1, 12), 2)
    grade = np.where(age <= 4, "PK", np.where(rng.random(age.shape) < 0.85, "KG", "PK"))
    grade = np.where(age >= 6, school, grade)
    return np.where((age >= 19) & (rng.random(age.shape) < 0.3), "UG", grade).astype("<U2")


def next_grade(grade: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Last year's grade + 1: PK -> KG from age 5, KG -> 01, 12 -> UG (transition services)."""
    num = np.char.isdigit(grade)
    nums = np.where(num, grade, "00")
    step = zfill((nums.astype(int) + 1).clip(1, 12), 2)
    out = np.where(num, np.where(grade == "12", "UG", step), grade)
    out = np.where(grade == "KG", "01", out)
    return np.where((grade == "PK") & (age >= 5), "KG", out).astype("<U2")


def school_age(age: np.ndarray, grade: np.ndarray) -> np.ndarray:
    return (age >= 6) | ((age == 5) & (grade == "KG"))


def environments(age, grade, dis, ood, mix: Mix, rng: np.random.Generator) -> np.ndarray:
    """Environment per student, by age band, disability and out-of-district status."""
    n = len(age)
    d = dis_index(dis)
    u = rng.random((4, n))
    sa_in = SA_IN_DISTRICT[_pick(u[0], mix.env_sa[d])]
    ec_in = EC_IN_DISTRICT[_pick(u[1], mix.env_ec[d])]
    sa_ood = SA_OOD[0][_pick(u[2], np.broadcast_to(SA_OOD[1], (n, len(SA_OOD[1]))))]
    ec_ood = EC_OOD[0][_pick(u[3], np.broadcast_to(EC_OOD[1], (n, len(EC_OOD[1]))))]
    sa = school_age(age, grade)
    return np.where(sa, np.where(ood, sa_ood, sa_in), np.where(ood, ec_ood, ec_in)).astype("<U12")


def twndp_for(env: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Time with nondisabled peers (%), inside the environment's band."""
    u = rng.random(env.shape)
    pct = np.select(
        [
            env == "RC80",
            env == "RC79TO40",
            env == "RC39",
            np.isin(env, ["REC10YSVCS", "REC09YSVCS", "REC10YOTHLOC", "REC09YOTHLOC"]),
            np.isin(env, ["HH", "H", "CF", "RF"]),
        ],
        [80 + 20 * u, 40 + 39.9 * u, 39.9 * u, 50 + 50 * u, 10 * u],
        default=30 * u,
    )
    return np.round(pct, 1)


def lea_ood_rates(n_leas: int, rng: np.random.Generator) -> np.ndarray:
    """Out-of-district rate per LEA: lognormal around the state mean, 0.5% to 25%."""
    return np.clip(rng.lognormal(np.log(OOD_RATE_MEAN) - 0.18, 0.6, n_leas), 0.005, 0.25)


def _ood(dis: np.ndarray, age: np.ndarray, rate: float, mix: Mix, rng) -> np.ndarray:
    if not len(dis):
        return np.zeros(0, bool)
    f = mix.ood_factor[dis_index(dis)] * np.where(age <= 5, 0.5, 1.0)
    p = np.clip(rate * f / f.mean(), 0, 0.9)
    return rng.random(len(dis)) < p


def student_ids(lea_id: str, year_index: int, n: int, numeric: bool) -> np.ndarray:
    """Ids unique per LEA across years: some LEAs use numeric ids with leading zeros."""
    seq = (np.arange(n) + year_index * 100_000).astype(str)
    if n == 0:
        return np.zeros(0, "<U12")
    if numeric:  # a type-inferring reader would drop the zeros
        return np.char.add("00" + lea_id[-3:], zfill(seq, 7))
    return np.char.add(f"S{lea_id[-4:]}", zfill(seq, 7))


def birth_dates(count_date: dt.date, age: np.ndarray, rng) -> np.ndarray:
    """Birth dates that make each student exactly `age` on the count date."""
    last = np.array(
        [
            np.datetime64(dt.date(count_date.year - a, count_date.month, count_date.day))
            for a in AGES
        ]
    )
    return last[age - 3] - rng.integers(0, 365, len(age)).astype("timedelta64[D]")


def _frame(ids, age, dis, count_date, rate, mix: Mix, rng) -> pl.DataFrame:
    n = len(ids)
    dis = fix_dd(dis, age, mix.dd_range)
    ood = _ood(dis, age, rate, mix, rng)
    grade = grade_for(age, rng)
    env = environments(age, grade, dis, ood, mix, rng)
    birth = birth_dates(count_date, age, rng)
    start = np.datetime64(count_date) - rng.integers(20, 1500, n).astype("timedelta64[D]")
    # not before the 3rd birthday, nor after the count date: a child born exactly three years
    # before a count date with no 29 February between reaches 1,096 days one day after it
    start = np.minimum(
        np.maximum(start, birth + np.timedelta64(1096, "D")), np.datetime64(count_date)
    )
    return pl.DataFrame(
        {
            "student_id": ids,
            "birth_date": birth,
            "age": age.astype(np.int64),
            "dis": dis,
            "grade": grade,
            "env": env,
            "ood": ood,
            "twndp": twndp_for(env, rng),
            "start": start,
            # per-student draws kept across years, so a placement is stable
            "type_pick": rng.random(n),
            "facility_pick": rng.random(n),
            "u1": rng.random(n),
            "u2": rng.random(n),
            "u3": rng.random(n),
            "transport": rng.integers(5, 45, n),
        },
        schema_overrides={"birth_date": pl.Date, "start": pl.Date},
    )


def first_roster(
    lea_id: str, size: int, count_date: dt.date, rate: float, numeric: bool, mix: Mix, rng
) -> pl.DataFrame:
    age = AGES[rng.choice(len(AGES), size=size, p=mix.ages)]
    dis = np.where(
        age <= 5,
        DIS[rng.choice(13, size=size, p=mix.dis_ec)],
        DIS[rng.choice(13, size, p=mix.dis_sa)],
    )
    return _frame(student_ids(lea_id, 0, size, numeric), age, dis, count_date, rate, mix, rng)


def next_roster(
    prev: pl.DataFrame,
    lea_id: str,
    year_index: int,
    count_date: dt.date,
    rate: float,
    numeric: bool,
    mix: Mix,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Next year's roster from last year's (same ids, a year older; leavers and newcomers)."""
    cd = count_date
    age_now = (
        cd.year
        - pl.col("birth_date").dt.year()
        - (
            (pl.col("birth_date").dt.month().cast(pl.Int32) * 100 + pl.col("birth_date").dt.day())
            > cd.month * 100 + cd.day
        ).cast(pl.Int64)
    )
    prev = prev.with_columns(age_now.alias("age_now"))
    keep = (rng.random(prev.height) < RETENTION) & (prev["age_now"].to_numpy() <= 21)
    stay = prev.filter(pl.Series(keep))
    age = stay["age_now"].to_numpy()
    grade = next_grade(stay["grade"].to_numpy().astype(str), age)
    dis = fix_dd(stay["dis"].to_numpy().astype(str), age, mix.dd_range)
    env = stay["env"].to_numpy().astype(str)
    crossed = school_age(age, grade) & ~school_age(stay["age"].to_numpy(), stay["grade"].to_numpy())
    redo = environments(age, grade, dis, stay["ood"].to_numpy(), mix, rng)
    sa = school_age(age, grade)
    valid = np.where(sa, np.isin(env, SCHOOL_AGE_ENVIRONMENTS), np.isin(env, EC_ENVIRONMENTS))
    crossed |= ~valid  # e.g. a 5-year-old moved from KG to grade 1 is early childhood again
    env = np.where(crossed, redo, env)
    twndp = np.where(crossed, twndp_for(env, rng), stay["twndp"].to_numpy())
    older = stay.drop("age_now").with_columns(
        pl.Series("age", age.astype(np.int64)),
        pl.Series("dis", dis),
        pl.Series("grade", grade),
        pl.Series("env", env),
        pl.Series("twndp", twndp),
    )
    n_new = max(0, round(prev.height * GROWTH) - stay.height)
    new_age = AGES[rng.choice(len(AGES), size=n_new, p=mix.young_ages)]
    new_dis = np.where(
        new_age <= 5,
        DIS[rng.choice(13, size=n_new, p=mix.dis_ec)],
        DIS[rng.choice(13, size=n_new, p=mix.dis_sa)],
    )
    ids = student_ids(lea_id, year_index, n_new, numeric)
    fresh = _frame(ids, new_age, new_dis, count_date, rate, mix, rng)
    return pl.concat([older, fresh], how="vertical").sort("student_id")
