"""A state's published 618 counts rebuilt as a roster: one child per counted child, each with an
age, a disability, an environment, a race, a sex and an English-learner status, such that every
count the federal file publishes for the state comes out again.

The file publishes marginals only (per environment and disability: ages, race, sex, English
learners, each on its own), so any pairing of them is a roster with those counts. Disability
rows often publish bands (or only the total) where the All Disabilities row has single ages;
a disability's children then take the environment's single ages that are left, band by band.
Race, sex and English learners are published per environment (All Disabilities) and per
disability (the Total rows) but not per environment and disability: a small integer program
(`_fit`) gives each environment and disability its children of each value so that both are
met. A child the file gives no sex or English-learner status (a count that sums to less than
its total) gets none.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sped.contracts import get
from sped.dashboards import exports
from sped.warehouse.national_reference import METADATA_LINES, NATIONAL_FILE

COUNT_DAY = dt.date(2017, 10, 1)
YEAR = "2017-18"
LEA = "2500001"
BANDS_6_21 = ((6, 11, "Age 6-11"), (12, 17, "Age 12-17"), (18, 21, "Age 18-21"))
RACES = ("AM7", "AS7", "BL7", "HI7", "PI7", "MU7", "WH7")  # exports.RACE_COLUMNS order


def published(state: str) -> dict[tuple[str, str], dict[str, str]]:
    """{(environment label, disability label): {column: cell}} of the state's rows, with the
    header exactly as published."""
    with NATIONAL_FILE.open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    header = lines[METADATA_LINES]
    return {
        (r[2], r[3]): dict(zip(header, r, strict=True))
        for r in lines[METADATA_LINES + 1 :]
        if len(r) == len(header) and r[1] == state
    }


def _n(cell: str) -> int | None:
    cell = cell.strip()
    return int(cell) if cell.isdigit() else None


def _take(pool: Counter, wanted: dict, n: int) -> list:
    """n values for one disability's children: the counts it publishes (taken from the pool),
    else whatever the pool has left, else None."""
    out: list = []
    if all(v is not None for v in wanted.values()) and sum(wanted.values()) == n:
        for value, count in wanted.items():
            out += [value] * count
            pool[value] -= count
        return out
    return out  # filled from the pool by the caller, after every published count is taken


def _fill_from_pool(pool: Counter, n: int) -> list:
    out = []
    for value in sorted(pool, key=str):
        k = min(pool[value], n - len(out))
        if k > 0:
            out += [value] * k
            pool[value] -= k
    return out + [None] * (n - len(out))


def _ages(rows: dict, group: str, disabilities: list[str], totals: dict) -> dict:
    """{disability: ages} for one environment: single ages where published, else band by band
    from the environment's single ages that are left."""
    singles = range(3, 6) if group == "3-5" else range(6, 22)
    bands = ((3, 5, "Age 3 to 5"),) if group == "3-5" else BANDS_6_21
    pool = Counter({a: _n(rows["All Disabilities"][f"Age {a}"]) or 0 for a in singles})
    ages: dict[str, list] = {}
    for d in disabilities:
        wanted = {a: _n(rows[d][f"Age {a}"]) for a in singles}
        ages[d] = _take(pool, wanted, totals[d])
    for d in disabilities:
        if ages[d] or not totals[d]:
            continue
        for low, high, band in bands:
            k = _n(rows[d][band]) or 0
            part = Counter({a: pool[a] for a in range(low, high + 1)})
            got = _fill_from_pool(part, k)
            for a in got:
                if a is not None:
                    pool[a] -= 1
            ages[d] += [a for a in got if a is not None]
        if len(ages[d]) < totals[d]:
            ages[d] += _fill_from_pool(pool, totals[d] - len(ages[d]))
    return ages


def _fit(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer x[e, d, v] >= 0 with sum_v x = n[e, d] and sum_d x = a[e, v] exactly, and
    sum_e x as close to b[d, v] as the published counts allow (the least total difference):
    children per environment and disability given their environment's and their disability's
    counts of each value (HiGHS through scipy's milp)."""
    ne, nd = n.shape
    nv = a.shape[1]
    nx = ne * nd * nv
    ns = nd * nv

    def ix(e: int, d: int, v: int) -> int:
        return (e * nd + d) * nv + v

    rows, cols, vals, lo = [], [], [], []
    r = 0
    for e in range(ne):
        for d in range(nd):
            for v in range(nv):
                rows.append(r), cols.append(ix(e, d, v)), vals.append(1)
            lo.append(n[e, d])
            r += 1
    for e in range(ne):
        for v in range(nv):
            for d in range(nd):
                rows.append(r), cols.append(ix(e, d, v)), vals.append(1)
            lo.append(a[e, v])
            r += 1
    for d in range(nd):
        for v in range(nv):
            for e in range(ne):
                rows.append(r), cols.append(ix(e, d, v)), vals.append(1)
            k = d * nv + v
            rows += [r, r]
            cols += [nx + k, nx + ns + k]
            vals += [1, -1]
            lo.append(b[d, v])
            r += 1
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(r, nx + 2 * ns))
    bound = np.array(lo, float)
    cost = np.concatenate([np.zeros(nx), np.ones(2 * ns)])
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, bound, bound),
        integrality=np.concatenate([np.ones(nx), np.zeros(2 * ns)]),
        bounds=Bounds(0, np.inf),
    )
    assert result.success, result.message
    return np.round(result.x[:nx]).astype(int).reshape(ne, nd, nv)


def _demographic(rows_by_key, group, envs, disabilities, n, columns) -> np.ndarray:
    """x[e, d, v] for one attribute: `columns` {value: column}; value None takes the children
    a count leaves without one."""
    total = "Total, Age 3-5" if group == "3-5" else "Total, Age 6-21"
    values = list(columns)
    a = np.array(
        [[_n(rows_by_key[(e, "All Disabilities")][c]) or 0 for c in columns.values()] for e in envs]
    )
    b = np.array(
        [[_n(rows_by_key[(total, d)][c]) or 0 for c in columns.values()] for d in disabilities]
    )
    a = np.column_stack([a, n.sum(axis=1) - a.sum(axis=1)])
    b = np.column_stack([b, n.sum(axis=0) - b.sum(axis=1)])
    values.append(None)
    return _fit(n, np.maximum(a, 0), np.maximum(b, 0)), values


def children(state: str) -> list[dict]:
    """Every child the state's 618 rows count, as (environment code, group, disability code,
    age, race, sex, english_learner)."""
    rows_by_key = published(state)
    codes = {label: code for code, label in exports.DISABILITY_LABELS.items()}
    out = []
    for group in ("3-5", "6-21"):
        envs = [(label, code) for label, code, g in exports.FEDERAL_ENVIRONMENTS
                if g == group and code is not None]  # fmt: skip
        labels = [label for label, _ in envs]
        disabilities = sorted(
            d for (e, d) in rows_by_key if e == labels[0] and d != "All Disabilities"
        )
        total_column = "Age 3 to 5" if group == "3-5" else "Ages 6-21"
        n = np.array([[_n(rows_by_key[(e, d)][total_column]) or 0 for d in disabilities]
                      for e in labels])  # fmt: skip
        index = 0 if group == "3-5" else 1
        female, male, learner, not_learner = exports.OTHER_COLUMNS[group]
        fitted = [
            _demographic(rows_by_key, group, labels, disabilities, n,
                         {r: exports.RACE_COLUMNS[r][index] for r in RACES}),
            _demographic(rows_by_key, group, labels, disabilities, n, {"F": female, "M": male}),
            _demographic(rows_by_key, group, labels, disabilities, n,
                         {True: learner, False: not_learner}),
        ]  # fmt: skip
        for i, (label, code) in enumerate(envs):
            rows = {d: r for (e, d), r in rows_by_key.items() if e == label}
            totals = dict(zip(disabilities, n[i], strict=True))
            ages = _ages(rows, group, disabilities, totals)
            for j, d in enumerate(disabilities):
                lists = []
                for x, values in fitted:
                    lists.append([v for k, v in enumerate(values) for _ in range(x[i, j, k])])
                for c in range(totals[d]):
                    out.append(
                        {
                            "env": code,
                            "group": group,
                            "disability": codes[d],
                            "age": ages[d][c],
                            "race": lists[0][c],
                            "sex": lists[1][c],
                            "el": lists[2][c],
                        }
                    )
    return out


def load_roster(con: duckdb.DuckDBPyConnection, kids: list[dict]) -> None:
    """The children into raw.placements (one LEA's roster of 2017-18) and, parentally placed,
    raw.ppps_count with a services plan."""
    placed = [k for k in kids if k["env"] != "PPPS"]
    private = [k for k in kids if k["env"] == "PPPS"]

    def birth(age: int) -> dt.date:
        return dt.date(COUNT_DAY.year - age, 6, 1)

    roster = pl.DataFrame(
        {
            "lea_id": [LEA] * len(placed),
            "school_year": [YEAR] * len(placed),
            "count_date": [COUNT_DAY] * len(placed),
            "student_id": [f"S{i}" for i in range(len(placed))],
            "birth_date": [birth(k["age"]) for k in placed],
            "grade_level": [
                "PK" if k["group"] == "3-5" else f"{min(max(k['age'] - 5, 1), 12):02d}"
                for k in placed
            ],
            "disability_category": [k["disability"] for k in placed],
            "educational_environment": [k["env"] for k in placed],
            "placement_type": ["IN_DISTRICT"] * len(placed),
            "placement_start_date": [COUNT_DAY] * len(placed),
            "twndp_pct": [50.0] * len(placed),
            "race_ethnicity": [k["race"] for k in placed],
            "sex": [k["sex"] for k in placed],
            "english_learner": [k["el"] for k in placed],
        }
    )
    count = pl.DataFrame(
        {
            "lea_id": [LEA] * len(private),
            "school_year": [YEAR] * len(private),
            "count_date": [COUNT_DAY] * len(private),
            "student_id": [f"P{i}" for i in range(len(private))],
            "birth_date": [birth(k["age"]) for k in private],
            "private_school_id": ["A0000001"] * len(private),
            "private_school_nonprofit": [True] * len(private),
            "elementary_or_secondary": [True] * len(private),
            "home_schooled": [False] * len(private),
            "resident_state": ["MA"] * len(private),
            "disability_category": [k["disability"] for k in private],
            "has_services_plan": [True] * len(private),
            "race_ethnicity": [k["race"] for k in private],
            "sex": [k["sex"] for k in private],
            "english_learner": [k["el"] for k in private],
        }
    )
    for name, frame in (("placements", roster), ("ppps_count", count)):
        columns = get(name).column_names
        full = frame.with_columns(
            pl.lit(None).alias(c) for c in columns if c not in frame.columns
        ).select(columns)
        full = full.with_columns(
            pl.lit(1 if name == "placements" else 2).alias("_submission_id"),
            pl.int_range(2, full.height + 2).alias("_source_row"),
            pl.lit(LEA).alias("_lea_id"),
            pl.lit(YEAR).alias("_period"),
        )
        con.register("rebuilt", full.to_arrow())
        con.execute(f"INSERT INTO raw.{name} SELECT * FROM rebuilt")
        con.unregister("rebuilt")


def write_roster(path: Path, state: str) -> int:
    """A warehouse at `path` holding the state's rebuilt roster; the number of children."""
    from tests.raw_rows import new_warehouse

    kids = children(state)
    con = new_warehouse(path)
    try:
        load_roster(con, kids)
    finally:
        con.close()
    return len(kids)
