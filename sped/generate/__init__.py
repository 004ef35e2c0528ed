"""Synthetic statewide data in the landing layout: `generate(out, scale=..., years=..., seed=...)`.

Writes one file per (collection, LEA, period) as districts send them, the state's allocation
files and reference directories, and `_manifest.json` saying what was written and which files
carry a deliberate defect (`defects.py`, share `scales.DEFECT_RATE`). Same seed, same bytes:
every random draw comes from a numpy generator seeded by (seed, purpose, LEA, year), iteration
is in sorted order, and nothing depends on today's date (the as-of date is November 1 after the
last fall). The modules: calibration (real-data tables), leas, students, placements, monitoring,
private, demographics (race, sex, English learners; the state's enrollment files), finance,
defects, writers, output.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from sped.config.profile import StateProfile, load_profile
from sped.generate import calibration, demographics, finance, leas, monitoring, private, students
from sped.generate.output import GenerationSummary, Output
from sped.generate.placements import placements
from sped.generate.scales import DEFECT_RATE, get_scale

__all__ = ["GenerationSummary", "generate", "school_years"]

PURPOSES = {  # one stream per purpose: adding draws to one never shifts another
    "leas": 1,
    "facilities": 2,
    "schools": 3,
    "roster": 4,
    "monitoring": 6,
    "ppps": 7,
    "child_find": 8,
    "alloc": 9,
    "spend": 10,
    "count_day": 12,
    "rates": 13,
    "next_grant": 14,
    "demographics": 15,
    "enrollment": 16,
}


def _rng(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, PURPOSES[purpose], *keys])


def school_years(through: str, years: int) -> list[str]:
    """`years` school years ending with `through` (e.g. 3, "2025-26" -> 2023-24 ... 2025-26)."""
    if years < 1:
        raise ValueError("years must be at least 1")
    try:
        last = int(through[:4])
        ok = len(through) == 7 and through[4] == "-" and int(through[5:]) == (last + 1) % 100
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"through must be a school year like 2025-26, got {through!r}")
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(last - years + 1, last + 1)]


def count_day(profile: StateProfile, fall: int, rng: np.random.Generator) -> dt.date:
    """The LEA's count date: mostly the window's first day, some later in the window."""
    start, end = profile.count_window(fall)
    if start == end or rng.random() < 0.7:
        return start
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _age_counts(placed: pl.DataFrame, count_date: dt.date) -> tuple[int, int]:
    """(students 3-21, students 3-5) on a placements frame."""
    birth = placed["birth_date"].str.to_date("%Y-%m-%d")
    cd = count_date
    age = (
        cd.year
        - birth.dt.year().cast(pl.Int32)
        - ((birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()) > cd.month * 100 + cd.day).cast(
            pl.Int32
        )
    )
    return int(((age >= 3) & (age <= 21)).sum()), int(((age >= 3) & (age <= 5)).sum())


def _with_demographics(
    roster: pl.DataFrame,
    known: pl.DataFrame | None,
    people: demographics.Demographics,
    lean: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The roster with each student's race, sex and English-learner status: kept from last
    year for the students already known, drawn for the others."""
    if known is not None:
        roster = roster.join(known, on="student_id", how="left")
    else:
        roster = roster.with_columns(
            pl.lit(None, pl.String).alias(c) for c in ("race", "sex", "el")
        )
    new = roster["race"].is_null().to_numpy()
    if new.any():
        age, grade = roster["age"].to_numpy(), roster["grade"].to_numpy().astype(str)
        group = np.where(students.school_age(age, grade), "6-21", "3-5")
        env = roster["env"].to_numpy().astype(str)
        dis = roster["dis"].to_numpy().astype(str)
        race, sex, el = people.draw(group[new], env[new], dis[new], lean, rng)
        filled = {c: roster[c].to_numpy().astype(object) for c in ("race", "sex", "el")}
        for c, values in zip(("race", "sex", "el"), (race, sex, el), strict=True):
            filled[c][new] = values
        roster = roster.with_columns(
            pl.Series(c, filled[c].astype(str)) for c in ("race", "sex", "el")
        )
    return roster


def generate(
    out: Path,
    *,
    scale: str = "small",
    years: int = 1,
    seed: int = 0,
    profile: StateProfile | None = None,
    through: str = "2025-26",
    progress: Callable[[str], None] | None = None,
    calibration_file: Path | None = None,
) -> GenerationSummary:
    """Write a synthetic state's files under `out` (which must be new or empty). The state's
    calibration comes from `calibration_file` (`sped calibrate`), else the package's copy."""
    clock = time.perf_counter()
    size = get_scale(scale)
    years_list = school_years(through, years)
    profile = profile or load_profile()
    say = progress or (lambda _m: None)
    cal, pss = calibration.load(profile.state_code, calibration_file)
    mix = students.Mix(cal, profile.dd_age_range)
    as_of = dt.date(int(through[:4]) + 1, 11, 1)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; generate into a new directory")
    summary = GenerationSummary(scale, seed, years_list)

    lea_dir = leas.make_leas(size, profile, pss, cal["lea_sizes_ct_2015_16"], _rng(seed, "leas"))
    facilities = leas.make_facilities(size, profile, lea_dir, _rng(seed, "facilities"))
    schools = private.make_private_schools(pss, lea_dir, _rng(seed, "schools"))
    lea_ids = lea_dir["lea_id"].to_list()
    summary.leas = len(lea_ids)
    output = Output(out, seed, summary, lea_ids, profile, as_of)
    output.state_file("reference/leas.csv", "leas", "current", lea_dir)
    output.state_file("reference/facilities.csv", "facilities", "current", facilities)
    output.state_file("reference/private_schools.csv", "private_schools", "current", schools)

    rates = students.lea_ood_rates(len(lea_ids), _rng(seed, "rates"))
    states = leas.neighbours(profile)
    # PPPS children: the state's 618 parentally placed count, scaled to this scale's students
    ppps_total = (
        cal["parentally_placed_6_21"] * size.students / (cal["students_6_21"] + cal["students_3_5"])
    )
    enrol = schools.group_by("lea_id").agg(pl.col("enrolment").sum()).sort("lea_id")
    enrol_total = max(int(enrol["enrolment"].sum() or 0), 1)
    expected_ppps = dict(
        zip(enrol["lea_id"], (enrol["enrolment"] * ppps_total / enrol_total).to_list(), strict=True)
    )
    schools_by_lea = {k[0]: g for k, g in schools.group_by("lea_id", maintain_order=True)}
    sizes = dict(zip(lea_ids, lea_dir["students"].to_list(), strict=True))
    people = demographics.Demographics(cal)
    mixes = demographics.lea_mix(
        people.state_race, np.array([sizes[i] for i in lea_ids]), _rng(seed, "enrollment")
    )
    known: dict[str, pl.DataFrame] = {}

    rosters: dict[str, pl.DataFrame] = {}
    step = max(1, len(lea_ids) // 10)
    needs: dict[str, tuple[float, float]] = {}  # each LEA's (611, 619) share, the year before
    for y, sy in enumerate(years_list):
        fall = int(sy[:4])
        counts: dict[str, tuple[int, int]] = {}
        ppps: dict[str, tuple[int, int]] = {}
        sped_by_race: dict[str, np.ndarray] = {}
        total = 0
        for i, lea_id in enumerate(lea_ids):
            rng = _rng(seed, "roster", i, y)
            day = count_day(profile, fall, _rng(seed, "count_day", i, y))
            numeric = i % 3 == 0
            if y == 0:
                roster = students.first_roster(
                    lea_id, sizes[lea_id], day, float(rates[i]), numeric, mix, rng
                )
            else:
                roster = students.next_roster(
                    rosters[lea_id], lea_id, y, day, float(rates[i]), numeric, mix, rng
                )
            rosters[lea_id] = roster
            total += roster.height
            lean = mixes[i] / people.state_race
            roster = _with_demographics(
                roster, known.get(lea_id), people, lean, _rng(seed, "demographics", i, y)
            )
            known[lea_id] = roster.select("student_id", "race", "sex", "el")
            sped_by_race[lea_id] = np.array(
                [(roster["race"] == r).sum() for r in demographics.RACES], dtype=int
            )
            placed = placements(roster, lea_id, sy, day, facilities)
            counts[lea_id] = _age_counts(placed, day)
            output.district_file("placements", lea_id, sy, placed)
            if (placed["placement_type"] != "IN_DISTRICT").any():
                log = monitoring.monitoring_log(
                    placed, lea_id, sy, as_of, _rng(seed, "monitoring", i, y)
                )
                output.district_file("monitoring_log", lea_id, sy, log)
            mine = schools_by_lea.get(lea_id)
            if mine is not None:
                rng = _rng(seed, "ppps", i, y)
                n_kids = max(1, int(rng.poisson(max(expected_ppps[lea_id], 0.5))))
                kids = private.ppps_children(
                    mine,
                    n_kids,
                    lea_id,
                    sy,
                    day,
                    states,
                    profile.state_code,
                    cal,
                    profile.dd_age_range,
                    rng,
                    people,
                    lean,
                    _rng(seed, "demographics", i, y, 1),
                )
                output.district_file("ppps_count", lea_id, sy, kids)
                ppps[lea_id] = _age_counts(kids, day)
                rng = _rng(seed, "child_find", i, y)
                n_cf = max(1, int(rng.poisson(n_kids * 0.4 + 1)))
                cf = private.child_find(
                    mine,
                    kids,
                    n_cf,
                    lea_id,
                    sy,
                    profile.evaluation_timeline_days,
                    states,
                    profile.state_code,
                    rng,
                )
                output.district_file("child_find", lea_id, sy, cf)
            if (i + 1) % step == 0 or i + 1 == len(lea_ids):
                say(f"placements {sy}: {i + 1}/{len(lea_ids)} LEAs")
        summary.students_per_year[sy] = total
        enrolled = demographics.enrollment(
            lea_ids, sy, sped_by_race, mixes, cal, people.state_race, _rng(seed, "enrollment", y)
        )
        output.state_file(f"enrollment/{sy}/enrollment_{sy}.csv", "enrollment", sy, enrolled)

        fy = fall + 1
        alloc = finance.allocations(lea_ids, counts, fy, _rng(seed, "alloc", y))
        output.state_file(f"allocations/{fy}/allocations_{fy}.csv", "allocations", str(fy), alloc)
        amounts = dict(zip(lea_ids, alloc.select("a611", "a619").iter_rows(), strict=True))
        previous_needs, needs = needs, {}
        for i, lea_id in enumerate(lea_ids):
            if lea_id not in ppps:
                continue
            (p321, p35), (u321, u35) = ppps[lea_id], counts[lea_id]
            a611, a619 = amounts[lea_id]
            need = (a611 * p321 / max(u321 + p321, 1), a619 * p35 / max(u35 + p35, 1))
            needs[lea_id] = need
            spend = finance.expenditures(lea_id, fy, need, as_of, _rng(seed, "spend", i, y))
            if profile.carryover_from_next_grant and lea_id in previous_needs:
                paid = finance.next_grant_rows(
                    lea_id, fy, previous_needs[lea_id][0], as_of, _rng(seed, "next_grant", i, y)
                )
                spend = pl.concat([spend, paid])
            if spend.height:
                output.district_file("expenditures", lea_id, str(fy), spend)
        say(f"expenditures {fy}: {len(ppps)} LEAs with private-school children")

    manifest = {
        "generator": "sped.generate",
        "scale": scale,
        "seed": seed,
        "years": years,
        "school_years": years_list,
        "through": through,
        "state": profile.state_code,
        "as_of": as_of.isoformat(),
        "defect_rate": DEFECT_RATE,
        "files": sorted(output.entries, key=lambda m: m["path"]),
    }
    (out / "_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    summary.seconds = time.perf_counter() - clock
    return summary
