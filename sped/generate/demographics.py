"""Race/ethnicity, sex and English-learner status of generated children, and the state's
enrollment files by race/ethnicity.

A child's demographics follow the state's federal 618 counts (`calibration.federal_618`
`demographics`) for the child's age group, environment and disability: the cell itself when it
holds at least `MIN_CELL` children, else the disability's total for the age group, else all
children of the age group (race, sex and English-learner status each on its own: the file
leaves some of them out of the disability rows). Each LEA leans towards its own mix
(`lea_mix`: LEAs differ much more than children do): the same lean moves its enrollment and
its children with disabilities, so the statewide mix is kept and an LEA's risk ratios stay near
the state's. A child keeps the same race and sex from one year to the next; English-learner
status too (a simplification).

Enrollment (the state's `enrollment` files): each LEA's children aged 3-21 on the count date
are its children with disabilities divided by `SPED_SHARE`, split by race/ethnicity in the
LEA's mix of the state's published enrollment (Massachusetts DESE; the latest year published
when the school year is later), never fewer than its children with disabilities of that race.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sped.contracts.codes import RACE_ETHNICITIES

RACES = np.array(RACE_ETHNICITIES)
#: The 618 cell a child's demographics are drawn from needs at least this many children.
MIN_CELL = 30
#: Children with IEPs as a share of all children enrolled (ages 3-21). An assumption of the
#: generator, close to the share Massachusetts publishes for its public schools (about 18%).
SPED_SHARE = 0.18
#: How far an LEA's race mix strays from the state's: lognormal sigma of each race's weight.
LEA_SPREAD = 0.6


def _share(counts: list[int] | None, parts: slice) -> np.ndarray | None:
    """The counts' shares over `parts`, or None when they hold fewer than MIN_CELL children (the
    618 file leaves some breakdowns of a disability row out: `-`, read as 0)."""
    if not counts:
        return None
    values = np.asarray(counts[parts], float)
    return values / values.sum() if values.sum() >= MIN_CELL else None


class Demographics:
    """Draws children's demographics from the state's 618 counts."""

    def __init__(self, cal: dict):
        self.table = cal["demographics"]
        group_totals = {g: self.table[g]["TOTAL"]["ALL"] for g in self.table}
        race = np.sum([np.asarray(v[:7], float) for v in group_totals.values()], axis=0)
        self.state_race = race / race.sum()

    def cell(self, group: str, env: str, dis: str) -> tuple[np.ndarray, float, float]:
        """(race probabilities, share female, share English learners) for a cell: each from
        the most detailed of cell, disability total and age-group total that holds them."""
        by_env = self.table[group]
        levels = (by_env.get(env, {}).get(dis), by_env["TOTAL"].get(dis), by_env["TOTAL"]["ALL"])
        found = []
        for parts in (slice(0, 7), slice(7, 9), slice(9, 11)):
            share = next((s for s in (_share(c, parts) for c in levels) if s is not None), None)
            if share is None:
                raise ValueError(f"no 618 demographics for age group {group}")
            found.append(share)
        race, sex, learner = found
        return race, float(sex[0]), float(learner[0])

    def draw(
        self,
        group: np.ndarray,
        env: np.ndarray,
        dis: np.ndarray,
        lean: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(race code, sex M/F, English learner Y/N) per child; `lean` is the LEA's race weights
        relative to the state (`lea_mix(...) / state mix`)."""
        n = len(group)
        race = np.full(n, "WH7", dtype="<U3")
        sex = np.full(n, "M", dtype="<U1")
        el = np.full(n, "N", dtype="<U1")
        u = rng.random((3, n))
        keys = np.char.add(np.char.add(group.astype(str), "|"), np.char.add(env.astype(str), "|"))
        keys = np.char.add(keys, dis.astype(str))
        for key in np.unique(keys):
            g, e, d = str(key).split("|")
            probs, female, learner = self.cell(g, e, d)
            probs = probs * lean
            cum = np.cumsum(probs / probs.sum())
            cum[-1] = 1.0 + 1e-9
            mask = keys == key
            race[mask] = RACES[np.searchsorted(cum, u[0][mask], side="right")]
            sex[mask] = np.where(u[1][mask] < female, "F", "M")
            el[mask] = np.where(u[2][mask] < learner, "Y", "N")
        return race, sex, el


def lea_mix(state_share: np.ndarray, sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each LEA's race mix (rows sum to 1): the state's, leaned per LEA, then adjusted so the
    size-weighted mean of the LEAs is the state's again."""
    weights = rng.lognormal(0.0, LEA_SPREAD, (len(sizes), len(state_share)))
    mix = state_share * weights
    mix /= mix.sum(axis=1, keepdims=True)
    size = np.asarray(sizes, float)[:, None]
    mean = (mix * size).sum(axis=0) / max(size.sum(), 1.0)
    mix *= state_share / np.maximum(mean, 1e-12)
    return mix / mix.sum(axis=1, keepdims=True)


def enrollment_shares(cal: dict, school_year: str, fallback: np.ndarray) -> np.ndarray:
    """The state's published enrollment by race (as shares, RACE_ETHNICITIES order) for the
    school year, or the latest year published before it. A state whose enrollment by race the
    project does not ship (its calibration has none: `sped calibrate` for a state other than
    Massachusetts) gets `fallback`, the race mix of its children with IEPs in its 618 counts."""
    years = cal.get("enrollment_by_race_pct")
    if not years:
        return fallback / fallback.sum()
    year = max((y for y in years if y <= school_year), default=min(years))
    pct = np.array([years[year][r] for r in RACE_ETHNICITIES], float)
    return pct / pct.sum()


def enrollment(
    lea_ids: list[str],
    school_year: str,
    sped_by_race: dict[str, np.ndarray],
    mixes: np.ndarray,
    cal: dict,
    state_race: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The state's enrollment file for a school year (contract columns, text)."""
    published = enrollment_shares(cal, school_year, state_race)
    rows = []
    for i, lea_id in enumerate(lea_ids):
        sped = sped_by_race[lea_id]
        total = sped.sum() / SPED_SHARE * rng.uniform(0.9, 1.1)
        share = published * mixes[i] / state_race
        counts = np.maximum(np.round(total * share / share.sum()), sped).astype(int)
        rows += [(lea_id, school_year, r, str(n)) for r, n in zip(RACES, counts, strict=True)]
    return pl.DataFrame(
        rows, schema=["lea_id", "school_year", "race_ethnicity", "enrolled"], orient="row"
    )
