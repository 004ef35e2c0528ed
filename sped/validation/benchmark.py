"""Measure the two ways of running the placement suite over a batch (docs/performance.md).

(a) GX's SQL data source on the warehouse's DuckDB file (what `validate_batch` does);
(b) GX's pandas data source on a dataframe read from the batch table. GX 1.24 cannot run
    `UnexpectedRowsExpectation` on pandas, so (b) computes those rules' predicates in DuckDB as
    boolean columns and expects them False: the best (b) can do with GX deciding.

Run: `python -m sped.validation.benchmark --rows 10000 1000000`. Synthetic rows, about 1% bad.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import great_expectations as gx

from sped.config.profile import load_profile
from sped.contracts import get
from sped.validation import validate_batch
from sped.validation.gx_duckdb import shared_config
from sped.validation.rule_sql import predicate, rule_params
from sped.validation.suites import expectation_for, file_rules
from sped.warehouse.schema import create_table_sql, ensure_schemas

AS_OF = dt.date(2026, 11, 1)
NATIVE = {"not_null", "in_set", "between", "unique", "regex"}

#: One synthetic placements batch: 500 rows per submission, a few defects of several kinds.
FILL = """
INSERT INTO landing.placements SELECT
  '25' || lpad(CAST(i // 500 AS VARCHAR), 5, '0'), '2025-26', DATE '2025-10-01',
  CASE WHEN i % 2003 = 0 THEN 'S' || (i - 1) ELSE 'S' || i END,
  DATE '2008-01-01' + CAST(i % 3000 AS INTEGER), '05',
  CASE WHEN i % 1009 = 0 THEN 'XX' ELSE 'SLD' END, 'RC80', 'IN_DISTRICT', NULL, NULL,
  DATE '2023-09-01', CASE WHEN i % 997 = 0 THEN 120 ELSE 90 END, NULL, NULL, NULL, 10, NULL,
  NULL, NULL, 'WH7', 'F', false,
  i // 500, i % 500 + 2, '25' || lpad(CAST(i // 500 AS VARCHAR), 5, '0'), '2025-26'
FROM range({rows}) t(i)
"""


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _pandas_path(con, profile) -> tuple[float, float, int]:
    """(b): seconds to read the batch into pandas, seconds for GX on it, failed expectations."""
    coll = get("placements")
    params = rule_params(profile.sql_params(AS_OF))
    rules = file_rules(coll)
    flags = [r for r in rules if r.kind not in NATIVE]
    extra = "".join(
        f', coalesce({predicate(r, coll, params)}, false) AS "bad_{i}"' for i, r in enumerate(flags)
    )
    read, df = _timed(lambda: con.sql(f"SELECT *{extra} FROM landing.placements AS b").df())
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch_def = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset("placements")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = gx.ExpectationSuite(name="placements_pandas")
    for r in rules:
        if r.kind in NATIVE:
            suite.add_expectation(expectation_for(r, coll, params))
        else:
            i = flags.index(r)
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToBeInSet(column=f"bad_{i}", value_set=[False])
            )
    suite = context.suites.add(suite)
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(name="bench", data=batch_def, suite=suite)
    )
    run, result = _timed(
        lambda: vd.run(batch_parameters={"dataframe": df}, result_format="BOOLEAN_ONLY")
    )
    return read, run, sum(not r.success for r in result.results)


def measure(rows: int, profile, tmp: Path, paths: str = "both") -> dict[str, float]:
    con = duckdb.connect(str(tmp / f"bench_{rows}.duckdb"), config=shared_config())
    ensure_schemas(con)
    con.execute(create_table_sql("landing", get("placements"), replace=True))
    con.execute(FILL.format(rows=rows))
    out: dict[str, float] = {}
    if paths in ("sql", "both"):
        validate = lambda: validate_batch(con, "placements", profile, AS_OF)  # noqa: E731
        out["sql_first_call_s"], _ = _timed(validate)
        out["sql_s"], findings = _timed(validate)
        out["findings"] = len(findings)
    if paths in ("pandas", "both"):
        read, run, failed = _pandas_path(con, profile)
        out.update(pandas_read_s=read, pandas_gx_s=run, pandas_failed_rules=failed)
    con.close()
    return out


def fixed_overhead(profile, tmp: Path) -> float:
    """Seconds of a warm `validate_batch` call on a one-row clean batch."""
    con = duckdb.connect(str(tmp / "one.duckdb"), config=shared_config())
    ensure_schemas(con)
    con.execute(create_table_sql("landing", get("placements"), replace=True))
    con.execute(FILL.format(rows=1))
    validate_batch(con, "placements", profile, AS_OF)
    best = min(
        _timed(lambda: validate_batch(con, "placements", profile, AS_OF))[0] for _ in range(3)
    )
    con.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--paths", choices=("sql", "pandas", "both"), default="both")
    args = parser.parse_args()
    profile = load_profile()
    with tempfile.TemporaryDirectory(prefix="sped-gx-bench-") as tmp:
        first, _ = _timed(lambda: fixed_overhead(profile, Path(tmp)))
        print(f"first call in the process (context, suite, source): {first:.2f} s")
        print(
            f"warm call, 1-row batch (fixed overhead): {fixed_overhead(profile, Path(tmp)):.3f} s"
        )
        for rows in args.rows:
            m = measure(rows, profile, Path(tmp), args.paths)
            print(f"{rows:>9} rows: " + ", ".join(f"{k}={v:.2f}" for k, v in m.items()))


if __name__ == "__main__":
    main()
