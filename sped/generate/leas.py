"""The LEA and facility directories of the synthetic state.

LEAs are named after the state's real towns (the cities of its PSS private schools): mostly town
districts (REGULAR), some regional districts, charter schools and a few educational
collaboratives. Ids follow the profile's NCES pattern (state FIPS + 5 digits), sizes are
resampled from the heavy-tailed Connecticut district counts and scaled to the scale's total,
larger towns getting the larger districts. Facilities: every LEA (as a PUBLIC_DISTRICT another
district can place in) plus collaboratives, approved private day and residential schools, a few
unapproved programs, state facilities and out-of-state schools.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from sped.config.profile import StateProfile
from sped.generate.scales import Scale

#: Neighbouring states: out-of-state facilities and PPPS children resident elsewhere.
NEIGHBOURS = {"MA": ["NH", "RI", "CT", "NY", "VT"], "CT": ["NY", "MA", "RI"]}
#: Share of LEAs of each non-town type (the rest are REGULAR town districts).
TYPE_SHARES = (("REGIONAL", 0.10), ("CHARTER", 0.08), ("COLLABORATIVE", 0.03))
SIZE_FACTOR = {"REGULAR": 1.0, "REGIONAL": 1.0, "CHARTER": 0.25, "COLLABORATIVE": 0.35}
PREFIXES = ("North", "South", "East", "West")


def town(school: dict) -> str:
    """The town a PSS school is in: its location city, else its mailing city."""
    return (school["PL_CIT"] or school["PCITY"]).strip().title()


def neighbours(profile: StateProfile) -> list[str]:
    return NEIGHBOURS.get(profile.state_code, ["NY" if profile.state_code != "NY" else "NJ"])


def _unique(name: str, used: set[str]) -> str:
    candidate, k = name, 2
    while candidate in used:
        candidate, k = f"{name} {k}", k + 1
    used.add(candidate)
    return candidate


def make_leas(
    scale: Scale,
    profile: StateProfile,
    schools: list[dict],
    sizes: list[int],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The LEA directory plus working columns: students (target roster size), towns (the
    member towns whose private schools the LEA holds)."""
    n = scale.leas
    by_town = Counter(town(s) for s in schools if town(s))
    county_of = {town(s): s["PCNTNM"].strip().title() for s in schools if town(s)}
    towns = sorted(by_town, key=lambda t: (-by_town[t], t))
    n_other = {kind: max(1, round(n * share)) if n >= 10 else 0 for kind, share in TYPE_SHARES}
    n_regular = n - sum(n_other.values())
    # town districts: real towns first (most private schools first), then North/South/... towns
    regular = towns[:n_regular]
    extra = [f"{p} {t}" for p in PREFIXES for t in towns if f"{p} {t}" not in by_town]
    regular += extra[: n_regular - len(regular)]
    for t in regular:
        county_of.setdefault(t, county_of.get(t.split(" ", 1)[-1], profile.state_name))
    used: set[str] = set()
    rows = [(_unique(f"{t} Public Schools", used), county_of[t], "REGULAR", [t]) for t in regular]
    spare = towns[n_regular:] or towns
    counties = sorted(set(county_of.values()))
    for i in range(n_other["REGIONAL"]):
        a, b = spare[(2 * i) % len(spare)], spare[(2 * i + 1) % len(spare)]
        name = _unique(f"{a}-{b} Regional School District", used)
        rows.append((name, county_of[a], "REGIONAL", [a, b] if spare is not towns else []))
    for i in range(n_other["CHARTER"]):
        t = towns[int(rng.integers(0, max(1, len(towns) // 3)))]
        kind = ("Community", "Collegiate", "Innovation", "Academy")[i % 4]
        rows.append((_unique(f"{t} {kind} Charter School", used), county_of[t], "CHARTER", []))
    for i in range(n_other["COLLABORATIVE"]):
        c = counties[i % len(counties)]
        rows.append((_unique(f"{c} Educational Collaborative", used), c, "COLLABORATIVE", []))

    kinds = np.array([r[2] for r in rows])
    raw = np.sort(rng.choice(np.array(sizes, dtype=float), size=n, replace=True))[::-1]
    raw = raw * rng.uniform(0.85, 1.2, size=n) + 3
    # the biggest sizes go to the towns with the most private schools, with some noise
    weight = np.array([np.log1p(by_town.get(r[3][0], 0)) if r[3] else 0.0 for r in rows])
    order = np.argsort(-(weight + rng.normal(0, 0.6, n)), kind="stable")
    students = np.empty(n)
    students[order] = raw
    students *= np.array([SIZE_FACTOR[k] for k in kinds])
    students = np.maximum(8, np.round(students / students.sum() * scale.students)).astype(int)

    suffixes = np.sort(rng.choice(np.arange(100, 99_900), size=n, replace=False))
    by_name = sorted(range(n), key=lambda i: rows[i][0])  # NCES ids run roughly alphabetically
    ids = [""] * n
    for rank, i in enumerate(by_name):
        ids[i] = f"{profile.state_fips}{suffixes[rank]:05d}"
    frame = pl.DataFrame(
        {
            "lea_id": ids,
            "name": [r[0] for r in rows],
            "county": [r[1] for r in rows],
            "lea_type": kinds.tolist(),
            "students": students,
            "towns": [r[3] for r in rows],
        },
        schema_overrides={"towns": pl.List(pl.String)},
    )
    return frame.sort("lea_id")


FACILITY_MIX = (
    ["COLLABORATIVE"] * 3
    + ["APPROVED_PRIVATE_DAY"] * 6
    + ["APPROVED_PRIVATE_RESIDENTIAL"] * 3
    + ["UNAPPROVED_PRIVATE"]
    + ["STATE_FACILITY"]
    + ["OUT_OF_STATE"] * 2
)
FACILITY_NAMES = {
    "COLLABORATIVE": ("{t} Area Collaborative Program", "{t} Regional Day Program"),
    "APPROVED_PRIVATE_DAY": ("{t} Day School", "{t} Learning Academy", "The {t} School"),
    "APPROVED_PRIVATE_RESIDENTIAL": ("{t} Residential School", "{t} Children's Center"),
    "UNAPPROVED_PRIVATE": ("{t} Learning Center", "{t} Therapeutic Program"),
    "STATE_FACILITY": ("{t} Hospital School", "{t} State Treatment Center"),
    "OUT_OF_STATE": ("{s} Academy", "{s} Residential Treatment Center", "{s} Day School"),
}


def make_facilities(
    scale: Scale, profile: StateProfile, leas: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """The facility directory (contract columns), ids F0001... and D<lea_id> for districts."""
    regular = leas.filter(pl.col("lea_type") == "REGULAR")["towns"].to_list()
    towns = [t[0] for t in regular if t] or ["Central"]
    states = neighbours(profile)
    used: set[str] = set()
    rows = []
    for i in range(scale.facilities):
        kind = FACILITY_MIX[i % len(FACILITY_MIX)]
        t = towns[int(rng.integers(len(towns)))]
        state = profile.state_code
        if kind == "OUT_OF_STATE":
            state = states[int(rng.integers(len(states)))]
        pattern = FACILITY_NAMES[kind][int(rng.integers(len(FACILITY_NAMES[kind])))]
        name = _unique(pattern.format(t=t, s=state), used)
        approved = kind.startswith("APPROVED") or kind in ("COLLABORATIVE", "STATE_FACILITY")
        if kind == "OUT_OF_STATE":
            approved = bool(rng.random() < 0.6)
        expires = None
        if kind.startswith("APPROVED"):
            expires = f"{2025 + int(rng.integers(0, 4))}-06-30"
        rows.append((f"F{i + 1:04d}", name, kind, state, "Y" if approved else "N", expires))
    for lea_id, name, kind in leas.select("lea_id", "name", "lea_type").iter_rows():
        if kind in ("REGULAR", "REGIONAL"):
            rows.append((f"D{lea_id}", name, "PUBLIC_DISTRICT", profile.state_code, "Y", None))
    return pl.DataFrame(
        rows,
        schema=["facility_id", "name", "facility_type", "state", "approved", "approval_expires"],
        orient="row",
    )
