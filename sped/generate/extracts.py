"""The district extracts as text tables, column for column as the contracts name them.

Every function returns a polars frame of strings in contract order: dates ISO (a caller may
switch a file to M/D/YYYY), flags Y/N, amounts with two decimals, blanks for missing values.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.contracts import get
from sped.contracts.codes import ACTIVITY_TYPES, DISABILITY_CATEGORIES, MONITORS
from sped.generate.roster import placement_columns


def _text(frame: pl.DataFrame, collection: str) -> pl.DataFrame:
    cols = []
    for col in get(collection).columns:
        e = pl.col(col.name)
        dtype = frame.schema[col.name]
        if dtype == pl.Date:
            e = e.dt.strftime("%Y-%m-%d")
        elif dtype in (pl.Float64, pl.Float32):
            e = e.round(2 if col.type == "decimal" else 1).cast(pl.String)
            if col.type == "decimal":
                e = pl.col(col.name).map_elements(lambda v: f"{v:.2f}", return_dtype=pl.String)
        cols.append(e.cast(pl.String).fill_null("").alias(col.name))
    return frame.select(cols)


def birth_dates(count_date: dt.date, age: pl.Expr, offset: pl.Expr) -> pl.Expr:
    """A birth date that makes the student exactly `age` on the count date."""
    return pl.date(count_date.year - age, count_date.month, count_date.day) - pl.duration(
        days=offset
    )


def placements(
    roster: pl.DataFrame,
    lea_id: str,
    school_year: str,
    count_date: dt.date,
    facilities: pl.DataFrame,
    rng: np.random.Generator,
) -> pl.DataFrame:
    cols = placement_columns(roster, count_date, facilities, f"D{lea_id}", rng)
    frame = roster.select(
        pl.lit(lea_id).alias("lea_id"),
        pl.lit(school_year).alias("school_year"),
        pl.lit(count_date).alias("count_date"),
        pl.col("student_id"),
        birth_dates(count_date, pl.col("age"), pl.col("birth_offset")).alias("birth_date"),
        pl.col("grade").alias("grade_level"),
        pl.col("dis").alias("disability_category"),
        pl.col("env").alias("educational_environment"),
    ).with_columns(
        pl.Series("placement_type", cols["placement_type"]),
        pl.Series("facility_id", cols["facility_id"]),
        pl.Series("facility_state", cols["facility_state"]),
        pl.Series("placement_start_date", cols["placement_start"]).cast(pl.Date),
        roster["twndp"].alias("twndp_pct"),
        pl.Series("lre_checklist_on_file", cols["lre_checklist"]),
        pl.Series("contract_on_file", cols["contract"]),
        pl.Series("monitoring_plan_on_file", cols["monitoring_plan"]),
        pl.Series("transport_minutes_one_way", cols["transport"]).cast(pl.String),
        pl.Series("transport_team_approved", cols["team_approved"]),
        pl.Series("return_criteria_documented", cols["return_criteria"]),
        pl.Series("annual_tuition", cols["tuition"]).fill_nan(None),
    )
    frame = frame.with_columns(
        # a placement starts no earlier than the third birthday
        pl.max_horizontal(
            "placement_start_date", pl.col("birth_date") + pl.duration(days=1096)
        ).alias("placement_start_date"),
        pl.when(pl.col("twndp_pct") == pl.col("twndp_pct").floor())
        .then(pl.col("twndp_pct").cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("twndp_pct").cast(pl.String))
        .alias("twndp_pct"),
    )
    return _text(frame, "placements")


def monitoring_log(
    placed: pl.DataFrame, lea_id: str, school_year: str, as_of: dt.date, rng: np.random.Generator
) -> pl.DataFrame:
    """Activities for out-of-district students: most have several countable ones, some only
    by parents or the placement's own staff, some none at all (the gaps monitoring finds)."""
    ood = placed.filter(pl.col("placement_type") != "IN_DISTRICT")
    start = dt.date(int(school_year[:4]), 7, 1)
    end = min(dt.date(int(school_year[:4]) + 1, 6, 30), as_of)
    days = (end - start).days
    rows = []
    for sid, fac in zip(ood["student_id"], ood["facility_id"], strict=True):
        u = rng.random()
        if u < 0.08:
            continue  # no monitoring at all
        n = int(rng.integers(1, 6))
        who_p = [0.0, 0.0, 0.5, 0.5] if u < 0.13 else [0.78, 0.14, 0.04, 0.04]
        for _ in range(n):
            day = start + dt.timedelta(days=int(rng.integers(0, days + 1)))
            facility = fac if rng.random() > 0.02 else "F9999"
            rows.append(
                (
                    lea_id,
                    school_year,
                    sid,
                    facility,
                    day,
                    ACTIVITY_TYPES[int(rng.choice(4, p=[0.3, 0.35, 0.25, 0.1]))],
                    MONITORS[int(rng.choice(4, p=who_p))],
                )
            )
    frame = pl.DataFrame(
        rows,
        schema={
            "lea_id": pl.String,
            "school_year": pl.String,
            "student_id": pl.String,
            "facility_id": pl.String,
            "activity_date": pl.Date,
            "activity_type": pl.String,
            "conducted_by": pl.String,
        },
        orient="row",
    )
    return _text(frame.sort("student_id", "activity_date"), "monitoring_log")


def ppps_children(
    schools: pl.DataFrame,
    n_children: int,
    lea_id: str,
    school_year: str,
    count_date: dt.date,
    neighbours: list[str],
    home: str,
    cal: dict,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Eligible parentally placed children in the private schools located in the LEA."""
    if n_children == 0 or schools.height == 0:
        return _text(
            pl.DataFrame(schema={c: pl.String for c in get("ppps_count").column_names}),
            "ppps_count",
        )
    w = schools["enrolment"].to_numpy().astype(float)
    pick = rng.choice(schools.height, size=n_children, p=w / w.sum())
    level = schools["level"].to_numpy()[pick]
    age = np.where(
        level == "PRESCHOOL_ONLY", rng.integers(3, 6, n_children), rng.integers(4, 19, n_children)
    )
    mix = np.array([cal["disability_mix_6_21"][d] for d in DISABILITY_CATEGORIES], float)
    dis = rng.choice(DISABILITY_CATEGORIES, size=n_children, p=mix / mix.sum())
    dis = np.where((dis == "DD") & (age > 9), "SLI", dis)
    home_schooled = rng.random(n_children) < 0.03
    school_id = np.where(home_schooled, "HOMESCHL", schools["private_school_id"].to_numpy()[pick])
    nonprofit = np.where(home_schooled, "N", schools["nonprofit"].to_numpy()[pick])
    resident = np.where(
        rng.random(n_children) < 0.05,
        np.array(neighbours)[rng.integers(0, len(neighbours), n_children)],
        home,
    )
    frame = pl.DataFrame(
        {
            "lea_id": lea_id,
            "school_year": school_year,
            "student_id": np.char.add(
                "P",
                np.char.zfill((rng.permutation(n_children) + int(lea_id[2:]) * 100).astype(str), 7),
            ),
            "age": age,
            "offset": rng.integers(0, 365, n_children),
            "private_school_id": school_id,
            "private_school_nonprofit": nonprofit,
            "elementary_or_secondary": np.where(level == "PRESCHOOL_ONLY", "N", "Y"),
            "home_schooled": np.where(home_schooled, "Y", "N"),
            "resident_state": resident,
            "disability_category": dis,
            "has_services_plan": np.where(rng.random(n_children) < 0.85, "Y", "N"),
        }
    ).with_columns(
        pl.lit(count_date).alias("count_date"),
        birth_dates(count_date, pl.col("age"), pl.col("offset")).alias("birth_date"),
    )
    return _text(frame.sort("student_id"), "ppps_count")


def child_find(
    schools: pl.DataFrame,
    n_referrals: int,
    lea_id: str,
    school_year: str,
    timeline: int,
    home: str,
    rng: np.random.Generator,
) -> pl.DataFrame:
    rows = []
    fall = int(school_year[:4])
    ids = schools["private_school_id"].to_list()
    for i in range(n_referrals):
        referral = dt.date(fall, 9, 1) + dt.timedelta(days=int(rng.integers(0, 240)))
        kind = "INITIAL" if rng.random() < 0.7 else "REEVALUATION"
        outcome = rng.choice(
            ["ELIGIBLE", "NOT_ELIGIBLE", "PENDING", "CONSENT_DECLINED"], p=[0.55, 0.3, 0.1, 0.05]
        )
        consent = evaluation = plan = None
        if outcome != "CONSENT_DECLINED":
            consent = referral + dt.timedelta(days=int(rng.integers(2, 21)))
        if outcome in ("ELIGIBLE", "NOT_ELIGIBLE"):
            days = int(np.clip(rng.normal(timeline * 0.75, timeline * 0.3), 7, timeline * 2.5))
            evaluation = consent + dt.timedelta(days=days)
        if outcome == "ELIGIBLE" and rng.random() < 0.8:
            plan = evaluation + dt.timedelta(days=int(rng.integers(5, 40)))
        rows.append(
            (
                lea_id,
                school_year,
                f"R{int(lea_id[2:]):05d}{i:05d}",
                ids[int(rng.integers(len(ids)))],
                home,
                referral,
                consent,
                kind,
                evaluation,
                str(outcome),
                plan,
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "lea_id": pl.String,
            "school_year": pl.String,
            "student_id": pl.String,
            "private_school_id": pl.String,
            "resident_state": pl.String,
            "referral_date": pl.Date,
            "consent_date": pl.Date,
            "evaluation_type": pl.String,
            "evaluation_date": pl.Date,
            "eligibility": pl.String,
            "services_plan_date": pl.Date,
        },
        orient="row",
    )
    return _text(frame, "child_find")


def allocations(
    leas: pl.DataFrame,
    counts: dict[str, tuple[int, int]],
    fiscal_year: int,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, dict[str, tuple[float, float]]]:
    """611 subgrants near $1,800 per student with an IEP, 619 near $700 per 3-5 year old."""
    rows, amounts = [], {}
    for lea_id in leas["lea_id"]:
        total, young = counts.get(lea_id, (0, 0))
        a611 = round(total * 1800 * rng.uniform(0.9, 1.1), 2)
        a619 = round(young * 700 * rng.uniform(0.9, 1.1), 2)
        amounts[lea_id] = (a611, a619)
        rows.append((lea_id, str(fiscal_year), f"{a611:.2f}", f"{a619:.2f}"))
    frame = pl.DataFrame(rows, schema=list(get("allocations").column_names), orient="row")
    return frame, amounts


def expenditures(
    lea_id: str,
    fiscal_year: int,
    required: tuple[float, float],
    as_of: dt.date,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Obligations against the share: most LEAs meet it in the initial period, some only with
    carryover, some fall short; state/local funds and child-find costs appear but never count."""
    behaviour = rng.choice(["initial", "carryover", "short"], p=[0.6, 0.22, 0.18])
    start = dt.date(fiscal_year, 7, 1)
    end_initial = dt.date(fiscal_year + 1, 9, 30)
    end_carry = dt.date(fiscal_year + 2, 9, 30)
    rows = []
    for fund, need in (("IDEA_611", required[0]), ("IDEA_619", required[1])):
        if need <= 0:
            continue
        share_initial = {"initial": 1.05, "carryover": 0.7, "short": 0.6}[behaviour]
        share_carry = {"initial": 0.0, "carryover": 0.4, "short": 0.1}[behaviour]
        for share, lo, hi in (
            (share_initial, start, end_initial),
            (share_carry, end_initial + dt.timedelta(days=1), end_carry),
        ):
            total = need * share
            n = int(rng.integers(2, 7)) if total > 0 else 0
            parts = rng.dirichlet(np.ones(n)) * total if n else []
            for part in parts:
                day = lo + dt.timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))
                if day > as_of:
                    continue
                cat = rng.choice(
                    [
                        "DIRECT_SERVICES",
                        "RELATED_SERVICES",
                        "TRANSPORTATION",
                        "MATERIALS_EQUIPMENT",
                    ],
                    p=[0.5, 0.25, 0.1, 0.15],
                )
                rows.append((fund, str(cat), round(float(part), 2), day))
    for fund, cat in (
        ("IDEA_611", "CHILD_FIND_EVALUATION"),
        ("STATE", "DIRECT_SERVICES"),
        ("LOCAL", "TRANSPORTATION"),
    ):
        if rng.random() < 0.4:
            day = start + dt.timedelta(days=int(rng.integers(0, 200)))
            if day <= as_of:
                rows.append((fund, cat, round(float(rng.uniform(500, 8000)), 2), day))
    rows = [r for r in rows if r[2] > 0]
    frame = pl.DataFrame(
        [
            (lea_id, str(fiscal_year), f"E{fiscal_year}-{i + 1:04d}", f, c, f"{a:.2f}", d)
            for i, (f, c, a, d) in enumerate(sorted(rows, key=lambda r: (r[3], r[0], r[1])))
        ],
        schema={
            "lea_id": pl.String,
            "fiscal_year": pl.String,
            "expenditure_id": pl.String,
            "fund_source": pl.String,
            "category": pl.String,
            "amount": pl.String,
            "obligation_date": pl.Date,
        },
        orient="row",
    )
    return _text(frame, "expenditures")
