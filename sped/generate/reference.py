"""The state's reference directories: LEAs (named after real towns), facilities, and the real
private schools of the state (NCES PSS) located in those LEAs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from sped.generate.scales import Scale
from sped.profile import StateProfile

NEIGHBOURS = {"MA": ["NH", "RI", "CT", "NY", "VT"], "CT": ["NY", "MA", "RI"]}


def town(school: dict) -> str:
    """The town a PSS school is in: its location city, else its mailing city."""
    return (school["PL_CIT"] or school["PCITY"]).strip().title()


def make_leas(
    scale: Scale,
    profile: StateProfile,
    schools: list[dict],
    sizes: list[int],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """LEAs named after the state's towns, most private schools first (so even the small
    scale has private schools), with heavy-tailed sizes resampled from real district counts."""
    by_city = Counter(town(s) for s in schools if town(s))
    counties = {town(s): s["PCNTNM"].title() for s in schools}
    cities = sorted(by_city, key=lambda c: (-by_city[c], c))
    names, county, kinds = [], [], []
    suffixes = [
        ("Public Schools", "REGULAR"),
        ("Regional School District", "REGIONAL"),
        ("Charter School", "CHARTER"),
        ("Educational Collaborative", "COLLABORATIVE"),
    ]
    round_ = 0
    while len(names) < scale.leas:
        suffix, kind = suffixes[min(round_, 3)]
        for city in cities:
            if len(names) == scale.leas:
                break
            if round_ >= 3 and rng.random() < 0.5:
                continue
            names.append(f"{city} {suffix}" if round_ < 4 else f"{city} {suffix} {round_}")
            county.append(counties.get(city, "State"))
            kinds.append(kind)
        round_ += 1
    raw = rng.choice(np.array(sizes, dtype=float), size=scale.leas, replace=True)
    raw = raw * rng.uniform(0.8, 1.25, size=scale.leas) + 3
    raw[np.array(kinds) == "CHARTER"] *= 0.3
    raw[np.array(kinds) == "COLLABORATIVE"] *= 0.2
    students = np.maximum(8, np.round(raw / raw.sum() * scale.students)).astype(int)
    ids = [f"{profile.state_fips}{10 * (i + 1):05d}" for i in range(scale.leas)]
    return pl.DataFrame(
        {
            "lea_id": ids,
            "name": names,
            "county": county,
            "lea_type": kinds,
            "students": students,
            "city": [n.rsplit(" ", 2)[0] for n in names],
        }
    )


def make_facilities(
    scale: Scale, profile: StateProfile, leas: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    kinds = (
        ["COLLABORATIVE"] * 3
        + ["APPROVED_PRIVATE_DAY"] * 6
        + ["APPROVED_PRIVATE_RESIDENTIAL"] * 3
        + ["UNAPPROVED_PRIVATE"] * 1
        + ["STATE_FACILITY"] * 1
        + ["OUT_OF_STATE"] * 2
    )
    picks = [kinds[i % len(kinds)] for i in range(scale.facilities)]
    towns = leas["city"].to_list()
    rows = []
    for i, kind in enumerate(picks):
        town = towns[int(rng.integers(len(towns)))]
        state = profile.state_code
        if kind == "OUT_OF_STATE":
            options = NEIGHBOURS.get(profile.state_code, ["NY"])
            state = options[int(rng.integers(len(options)))]
        label = {
            "COLLABORATIVE": f"{town} Area Collaborative",
            "APPROVED_PRIVATE_DAY": f"{town} Day School",
            "APPROVED_PRIVATE_RESIDENTIAL": f"{town} Residential School",
            "UNAPPROVED_PRIVATE": f"{town} Learning Center",
            "STATE_FACILITY": f"{town} State Hospital School",
            "OUT_OF_STATE": f"{state} Academy {i}",
        }[kind]
        approved = kind not in ("UNAPPROVED_PRIVATE",)
        expires = f"{2026 + int(rng.integers(0, 3))}-06-30" if kind.startswith("APPROVED") else ""
        rows.append((f"F{i + 1:04d}", label, kind, state, "Y" if approved else "N", expires))
    # every LEA is also a facility another district can place students in
    for lea_id, name in zip(leas["lea_id"], leas["name"], strict=True):
        rows.append((f"D{lea_id}", name, "PUBLIC_DISTRICT", profile.state_code, "Y", ""))
    return pl.DataFrame(
        rows,
        schema=["facility_id", "name", "facility_type", "state", "approved", "approval_expires"],
        orient="row",
    )


def make_private_schools(
    schools: list[dict], leas: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """PSS schools located in a generated LEA (by town); PSS has no profit status, so about
    one in twelve is marked for-profit, deterministically."""
    city_lea = {}
    for lea_id, city, kind in zip(leas["lea_id"], leas["city"], leas["lea_type"], strict=True):
        if kind == "REGULAR":
            city_lea.setdefault(city, lea_id)
    rows = []
    for s in schools:
        lea = city_lea.get(town(s))
        if lea is None:
            continue
        high = int(s["HIGR2014"] or 0)
        level = {"1": "ELEMENTARY", "2": "SECONDARY", "3": "COMBINED"}.get(s["LEVEL"], "ELEMENTARY")
        if high == 2:  # PSS grade code 2: prekindergarten is the highest grade
            level = "PRESCHOOL_ONLY"
        nonprofit = "N" if rng.random() < 1 / 12 else "Y"
        rows.append(
            (s["PPIN"], s["PINST"].title(), lea, nonprofit, level, max(int(s["NUMSTUDS"] or 0), 5))
        )
    return pl.DataFrame(
        rows,
        schema=["private_school_id", "name", "lea_id", "nonprofit", "level", "enrolment"],
        orient="row",
    )
