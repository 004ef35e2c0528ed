"""Private schools and the LEA reports about their children: the private-school directory,
the October-December count of parentally placed children (ppps_count) and child find.

The directory holds the real PSS schools located in a generated LEA (by town). PSS has no
profit status, so about one school in twelve is marked for-profit, deterministically; and
PSS hardly lists stand-alone preschools, so a few private preschools (PRESCHOOL_ONLY, id `K`
+ 7 digits) are added, one per ten LEAs with private schools. PPPS children go to schools of
their LEA in proportion to enrolment, at ages the school's grades allow; some are residents of
a neighbouring state, some home-schooled (id HOMESCHL), some in for-profit schools.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.contracts.codes import DISABILITY_CATEGORIES
from sped.generate.leas import town
from sped.generate.students import DIS, birth_dates, fix_dd, zfill
from sped.generate.writers import to_text

FOR_PROFIT = 1 / 12
HOME_SCHOOLED = 0.03
OTHER_STATE = 0.05
HOME_SCHOOL_ID = "HOMESCHL"
LEVELS = {"1": "ELEMENTARY", "2": "SECONDARY", "3": "COMBINED"}


def grade_age(code: int) -> int:
    """Typical age on the count date for a PSS grade code (2 PK, 3 K, 6-17 grades 1-12)."""
    return {1: 5, 2: 3, 3: 5, 4: 5, 5: 6}.get(code, code)


def make_private_schools(
    pss: list[dict], leas: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """Directory columns plus working columns (enrolment, lowest and highest age)."""
    lea_of: dict[str, str] = {}
    for lea_id, kind, towns in leas.select("lea_id", "lea_type", "towns").iter_rows():
        if kind in ("REGULAR", "REGIONAL"):
            for t in towns:
                lea_of.setdefault(t, lea_id)
    rows = []
    for s in pss:
        lea = lea_of.get(town(s))
        if lea is None:
            continue
        low, high = int(s["LOGR2014"] or 3), int(s["HIGR2014"] or 17)
        level = LEVELS.get(s["LEVEL"], "ELEMENTARY")
        if high <= 2:  # the highest grade is prekindergarten
            level = "PRESCHOOL_ONLY"
        lo, hi = grade_age(low), grade_age(high) + 1
        rows.append(
            (s["PPIN"], s["PINST"].title(), lea, level, max(int(s["NUMSTUDS"] or 0), 5), lo, hi)
        )
    with_schools = sorted({r[2] for r in rows})
    for i in range(max(1, len(with_schools) // 10)):
        lea = with_schools[int(rng.integers(len(with_schools)))]
        name = ("Little Learners Preschool", "Children's Garden Preschool", "Bright Start")[i % 3]
        ppin = f"K{int(rng.integers(1_000_000, 9_999_999)):07d}"
        rows.append((ppin, f"{name} {i + 1}", lea, "PRESCHOOL_ONLY", 40, 3, 5))
    frame = pl.DataFrame(
        rows,
        schema=["private_school_id", "name", "lea_id", "level", "enrolment", "age_lo", "age_hi"],
        orient="row",
    ).unique("private_school_id", keep="first", maintain_order=True)
    nonprofit = np.where(rng.random(frame.height) < FOR_PROFIT, "N", "Y")
    return frame.with_columns(pl.Series("nonprofit", nonprofit)).sort("private_school_id")


def ppps_children(
    schools: pl.DataFrame,
    n: int,
    lea_id: str,
    school_year: str,
    count_date: dt.date,
    states: list[str],
    home: str,
    cal: dict,
    dd_range: tuple[int, int],
    rng: np.random.Generator,
    people=None,
    lean: np.ndarray | None = None,
    demo_rng: np.random.Generator | None = None,
) -> pl.DataFrame:
    """Eligible parentally placed children in the private schools located in one LEA, with
    their demographics (`demographic_columns`, drawn from `demo_rng`)."""
    w = schools["enrolment"].to_numpy().astype(float)
    pick = rng.choice(schools.height, size=n, p=w / w.sum())
    lo = schools["age_lo"].to_numpy()[pick]
    hi = np.maximum(schools["age_hi"].to_numpy()[pick], lo)
    age = np.clip(lo + (rng.random(n) * (hi - lo + 1)).astype(int), 3, 21)
    level = schools["level"].to_numpy()[pick]
    mix = np.array([cal["disability_mix_6_21"][d] for d in DIS], float)
    mix_ec = np.array([cal["disability_mix_3_5"][d] for d in DIS], float)
    dis = np.where(
        age <= 5,
        rng.choice(DISABILITY_CATEGORIES, size=n, p=mix_ec / mix_ec.sum()),
        rng.choice(DISABILITY_CATEGORIES, size=n, p=mix / mix.sum()),
    )
    home_schooled = (rng.random(n) < HOME_SCHOOLED) & (age >= 6)
    resident = np.where(
        rng.random(n) < OTHER_STATE, np.array(states)[rng.integers(0, len(states), n)], home
    )
    frame = pl.DataFrame(
        {
            "lea_id": np.full(n, lea_id),
            "school_year": np.full(n, school_year),
            "count_date": np.full(n, np.datetime64(count_date)),
            "student_id": np.char.add(
                "P" + lea_id[-5:], zfill((rng.permutation(n) + 1).astype(str), 5)
            )
            if n
            else np.zeros(0, "<U11"),
            "birth_date": birth_dates(count_date, age, rng),
            "private_school_id": np.where(
                home_schooled, HOME_SCHOOL_ID, schools["private_school_id"].to_numpy()[pick]
            ),
            # home-schooled children: whether they count is the profile's choice, not a flag's
            "private_school_nonprofit": np.where(
                home_schooled, "Y", schools["nonprofit"].to_numpy()[pick]
            ),
            "elementary_or_secondary": np.where(
                (level == "PRESCHOOL_ONLY") & ~home_schooled, "N", "Y"
            ),
            "home_schooled": np.where(home_schooled, "Y", "N"),
            "resident_state": resident,
            "disability_category": fix_dd(dis, age, dd_range),
            "has_services_plan": np.where(rng.random(n) < 0.85, "Y", "N"),
        },
        schema_overrides={"count_date": pl.Date, "birth_date": pl.Date},
    )
    demo = demographic_columns(
        age,
        frame["disability_category"].to_numpy().astype(str),
        (frame["has_services_plan"] == "Y").to_numpy(),
        cal,
        people,
        np.ones(7) if lean is None else lean,
        demo_rng or rng,
    )
    frame = frame.with_columns(pl.Series(k, v) for k, v in demo.items())
    return to_text(frame.sort("student_id"), "ppps_count")


#: Where a parentally placed child aged 3-5 not in kindergarten receives the services of the
#: plan: the state's early-childhood environments outside separate and residential programs,
#: in their 618 proportions.
PPPS_EC_ENVIRONMENTS = ("REC10YSVCS", "REC10YOTHLOC", "REC09YSVCS", "REC09YOTHLOC", "SPL")


def demographic_columns(
    age: np.ndarray,
    dis: np.ndarray,
    has_plan: np.ndarray,
    cal: dict,
    people,
    lean: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Race, sex, English-learner status and, for a child aged 3-5 not in kindergarten (most
    5-year-olds are in kindergarten) with a services plan, the early-childhood environment where
    the services are received; school-age children follow the 618 parentally placed row, the
    others their environment's."""
    n = len(age)
    kindergarten = (age == 5) & (rng.random(n) < 0.85)
    early = (age <= 5) & ~kindergarten
    weights = np.array([sum(cal["environments_3_5"][e].values()) for e in PPPS_EC_ENVIRONMENTS])
    env = np.array(PPPS_EC_ENVIRONMENTS)[
        rng.choice(len(PPPS_EC_ENVIRONMENTS), size=n, p=weights / weights.sum())
    ]
    env = np.where(early & has_plan, env, "")
    group = np.where(early, "3-5", "6-21")
    cell_env = np.where(early, np.where(env == "", "TOTAL", env), "PPPS")
    race, sex, el = people.draw(group, cell_env, dis, lean, rng)
    return {
        "race_ethnicity": race,
        "sex": sex,
        "english_learner": el,
        "educational_environment": env,
    }


OUTCOMES = np.array(["ELIGIBLE", "NOT_ELIGIBLE", "PENDING", "CONSENT_DECLINED"])
OUTCOME_P = np.array([0.55, 0.3, 0.1, 0.05])


def child_find(
    schools: pl.DataFrame,
    kids: pl.DataFrame,
    n: int,
    lea_id: str,
    school_year: str,
    timeline: int,
    states: list[str],
    home: str,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Referrals and evaluations of private-school children in one LEA: reevaluations of counted
    children and initial referrals of new ones; most evaluations inside the state's timeline."""
    fall = int(school_year[:4])
    n_re = min(kids.height, int(rng.binomial(n, 0.3)))
    re_ids = kids["student_id"].to_numpy()[rng.choice(kids.height, n_re, replace=False)]
    initial_ids = np.char.add(f"R{lea_id[-5:]}", zfill(np.arange(n - n_re).astype(str), 5))
    ids = np.concatenate([re_ids.astype(str), initial_ids]) if n else np.zeros(0, "<U11")
    kind = np.where(np.arange(n) < n_re, "REEVALUATION", "INITIAL")
    school_ids = schools["private_school_id"].to_numpy()
    school = school_ids[rng.integers(0, len(school_ids), n)]
    if n_re:  # a reevaluation happens at the child's own school
        by_kid = dict(zip(kids["student_id"], kids["private_school_id"], strict=True))
        own = np.array([by_kid[i] for i in re_ids])
        school[:n_re] = np.where(own == HOME_SCHOOL_ID, school[:n_re], own)
    referral = np.datetime64(dt.date(fall, 9, 1)) + rng.integers(0, 240, n).astype("timedelta64[D]")
    outcome = OUTCOMES[np.searchsorted(np.cumsum(OUTCOME_P), rng.random(n) * 0.999999)]
    consent = referral + rng.integers(2, 21, n).astype("timedelta64[D]")
    late = rng.random(n) < 0.12
    days = np.where(
        late,
        rng.integers(timeline + 1, int(timeline * 1.8) + 2, n),
        rng.integers(max(7, timeline // 4), timeline + 1, n),
    )
    evaluation = consent + days.astype("timedelta64[D]")
    plan = evaluation + rng.integers(5, 40, n).astype("timedelta64[D]")
    nat = np.datetime64("NaT")
    has_plan = (outcome == "ELIGIBLE") & (rng.random(n) < 0.85)
    frame = pl.DataFrame(
        {
            "lea_id": np.full(n, lea_id),
            "school_year": np.full(n, school_year),
            "student_id": ids,
            "private_school_id": school,
            "resident_state": np.where(
                rng.random(n) < OTHER_STATE, np.array(states)[rng.integers(0, len(states), n)], home
            ),
            "referral_date": referral,
            "consent_date": np.where(outcome == "CONSENT_DECLINED", nat, consent),
            "evaluation_type": kind,
            "evaluation_date": np.where(np.isin(outcome, OUTCOMES[:2]), evaluation, nat),
            "eligibility": outcome,
            "services_plan_date": np.where(has_plan, plan, nat),
        },
        schema_overrides={
            c: pl.Date
            for c in ("referral_date", "consent_date", "evaluation_date", "services_plan_date")
        },
    )
    return to_text(frame.sort("referral_date", "student_id"), "child_find")
