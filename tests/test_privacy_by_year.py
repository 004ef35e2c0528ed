"""Each school year's suppression solved in helper processes (sped/privacy/by_year.py) gives the
outcome it gives solved here, year by year: the same hidden figures, reasons, state figures and
groups. Random three-year grids of the shared placement tables' shape, with the helpers forced
on (MIN_UNITS 0) and off."""

from __future__ import annotations

import random

from sped.privacy import by_year
from sped.privacy.placement_tables import LATENT, environment, year_lines
from sped.privacy.suppression import protect

ENVIRONMENTS = {"3-5": ["REC10YSVCS", "SC", "HOME"], "6-21": ["RC80", "RC79TO40", "SS", "HH"]}


def random_years(seed: int, leas: int = 40) -> dict:
    """school_year -> LEA -> figure -> students, as placement_tables.grid gives them."""
    rng = random.Random(seed)
    years = {}
    for year in ("2023-24", "2024-25", "2025-26"):
        by_lea = {}
        for i in range(leas):
            v = {}
            for age, envs in ENVIRONMENTS.items():
                for e in envs:
                    n = rng.choice([0, 0, 1, 2, 4, 9, 15, 40, 120])
                    if n:
                        v[environment(age, e)] = n
                v[("age_group_students", age, None)] = sum(
                    n for k, n in v.items() if k[0] == "environment_students" and k[1] == age
                )
            school = v[("age_group_students", "6-21", None)]
            five_c = sum(v.get(environment("6-21", e), 0) for e in ("SS", "HH"))
            students = school + v[("age_group_students", "3-5", None)]
            ood = rng.randint(0, students)
            v.update({
                ("students", None, None): students,
                ("ood_students", None, None): ood,
                ("in_district_students", None, None): students - ood,
                ("indicator_5c_students", None, None): five_c,
                ("other_school_age_students", None, None): school - five_c,
            })  # fmt: skip
            by_lea[f"25{i:05d}"] = v
        years[year] = by_lea
    return years


def test_helpers_give_each_year_the_outcome_it_gets_here(monkeypatch):
    years = random_years(7)
    lines = {y: year_lines(by_lea) for y, by_lea in years.items()}
    options = {y: {"latent": LATENT} for y in years}
    here = {y: protect(years[y], lines[y], 10, latent=LATENT) for y in years}
    monkeypatch.setattr(by_year, "MIN_UNITS", 0)
    in_helpers = by_year.protect_years(years, lines, 10, options)
    assert in_helpers == here
    assert any(p.hidden[u] for p in here.values() for u in p.hidden)  # something is hidden
    monkeypatch.setattr(by_year, "MIN_UNITS", 10**9)
    assert by_year.protect_years(years, lines, 10, options) == here


def test_helpers_kept_for_a_block_give_the_same_outcome_and_end_with_it():
    """Helpers started ahead (`helpers_kept`, as the dbt step starts them) take every year, one
    year too, with the outcome solved here; they are gone once the block ends, and without the
    block nothing is kept."""
    import contextlib
    import os

    import psutil

    years = random_years(11)
    lines = {y: year_lines(by_lea) for y, by_lea in years.items()}
    options = {y: {"latent": LATENT} for y in years}
    here = {y: protect(years[y], lines[y], 10, latent=LATENT) for y in years}
    one = max(years)
    me = psutil.Process(os.getpid())
    before = {p.pid for p in me.children(recursive=True)}
    with by_year.helpers_kept():
        assert by_year._kept is not None
        assert by_year.protect_years(years, lines, 10, options) == here
        assert by_year.protect_years(
            {one: years[one]}, {one: lines[one]}, 10, {one: options[one]}
        ) == {one: here[one]}
        started = {p.pid for p in me.children(recursive=True)} - before
        assert started  # the fork server and the helpers
    assert by_year._kept is None
    helpers = []  # the helpers only: multiprocessing's fork server and tracker serve the process
    for pid in started:
        with contextlib.suppress(psutil.NoSuchProcess):
            command = " ".join(psutil.Process(pid).cmdline())
            if "forkserver" not in command and "resource_tracker" not in command:
                helpers.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(helpers, timeout=30)
    assert alive == []
