"""What the property tests of the marts share (tests/test_marts_*_property.py): each example is a
small state put into a new warehouse and built by dbt, then read back and compared with the
independent Python implementation in sped/figures/.

- `DBT_EXAMPLES`: the hypothesis settings of such a test: a few examples besides the explicit
  ones (each is a whole dbt build), the same draws on every run, a failing state reported as
  drawn (shrinking would rebuild it dozens of times);
- `next_case`: the warehouse and dbt target of the next example in the test's tmp_path;
- `born`: a birth date that makes a child a given age on a day;
- `mart_rows`: a mart's rows as dicts keyed by its key columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, Phase, settings

DBT_EXAMPLES = settings(
    max_examples=3,  # plus the explicit examples of the edges
    deadline=None,
    derandomize=True,
    # each example is a whole dbt build: report the failing state as drawn, unshrunk
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def next_case(tmp_path: Path) -> tuple[Path, Path]:
    """The warehouse and the dbt target of the next example in `tmp_path` (hypothesis runs
    every example of a test in the same tmp_path)."""
    case_no = len(list(tmp_path.glob("w*.duckdb")))
    return tmp_path / f"w{case_no}.duckdb", tmp_path / f"t{case_no}"


def born(day: dt.date, age: int, offset: int = 0) -> dt.date:
    """A birth date `offset` days before the birthday that makes a child `age` on `day`."""
    return dt.date(day.year - age, day.month, day.day) - dt.timedelta(days=offset)


def mart_rows(path: Path, table: str, key: tuple[str, ...]) -> dict[tuple, dict]:
    """Every row of `table` in the warehouse at `path`, keyed by the `key` columns."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rel = con.sql(f"SELECT * FROM {table}")
        cols = list(rel.columns)
        found = rel.fetchall()
    finally:
        con.close()
    rows = [dict(zip(cols, r, strict=True)) for r in found]
    return {tuple(r[k] for k in key): r for r in rows}
