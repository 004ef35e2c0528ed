"""Benchmark: rebuilding every mart vs the incremental build after one LEA's new submission.

Runs the pipeline once over a synthetic state (or takes an existing warehouse with
`--warehouse`), then, on a copy, alternates `dbt run --full-refresh` with an incremental
`dbt run` whose scope (raw.build_scope) is the single LEA with the most students, as the
pipeline plans it after one district's new roster. Prints, for each, the median wall time of
the dbt run, of all models and of the per-LEA (incremental) models (execution times from dbt's
run_results.json), and their ratios, all measured in one run.
Run: `make bench` (BENCH_MARTS_SCALE, BENCH_MARTS_YEARS).

dbt's own start-up (parsing, connecting, one round trip per model) is in the wall time of both
and does not shrink with scope; the model time is what incremental builds save.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from sped.config.profile import load_profile
from sped.frameworks.dbt_cli import invoke
from sped.generate import generate
from sped.landing.accounts import current_os_user
from sped.launch.pipeline_run import run_pipeline

AS_OF = "2026-11-01"


def _prepare(args: argparse.Namespace, work: Path) -> Path:
    if args.warehouse:
        return Path(args.warehouse)
    landing = work / "landing"
    clock = time.perf_counter()
    generate(landing, scale=args.scale, years=args.years, seed=args.seed)
    print(f"generated {args.scale} x {args.years} years in {time.perf_counter() - clock:.0f} s")
    warehouse = work / "install" / "warehouse.duckdb"
    clock = time.perf_counter()
    lines: list[str] = []
    code = run_pipeline(
        landing=landing,
        warehouse=str(warehouse),
        profile=None,
        as_of=AS_OF,
        submitter=f"operator:{current_os_user()}",
        out=lines.append,
    )
    if code != 0:
        print("\n".join(lines))
        raise SystemExit("the pipeline failed; see above")
    print(f"pipeline (validate, load, full dbt build) in {time.perf_counter() - clock:.0f} s")
    return warehouse


def _scope(warehouse: Path, lea_ids: list[str]) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("DELETE FROM raw.build_scope")
        for lea in lea_ids:
            con.execute("INSERT INTO raw.build_scope VALUES (?)", [lea])
    finally:
        con.close()


def _run(warehouse: Path, target: Path, full: bool, dbt_vars: dict) -> tuple[float, float, float]:
    """(wall seconds, seconds in all models, seconds in the per-LEA incremental models) of one
    `dbt run`."""
    command = ["run", "--full-refresh"] if full else ["run"]
    clock = time.perf_counter()
    invoke(command, warehouse=warehouse, target=target, dbt_vars=dbt_vars)
    wall = time.perf_counter() - clock
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    per_lea = {
        uid for uid, n in nodes.items() if n.get("config", {}).get("materialized") == "incremental"
    }
    return (
        wall,
        sum(r["execution_time"] for r in results),
        sum(r["execution_time"] for r in results if r["unique_id"] in per_lea),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "state", "large"], default="state")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--warehouse", help="use this installation's warehouse (a copy is used)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sped-bench-") as tmp:
        work = Path(tmp)
        source = _prepare(args, work)
        warehouse = work / "bench" / "warehouse.duckdb"
        warehouse.parent.mkdir()
        shutil.copyfile(source, warehouse)
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            lea, students = con.execute(
                "SELECT lea_id, count(*) FROM raw.placements GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            ).fetchone()
            leas, rows = con.execute(
                "SELECT count(DISTINCT lea_id), count(*) FROM raw.placements"
            ).fetchone()
        finally:
            con.close()
        dbt_vars = load_profile().dbt_vars(dt.date.fromisoformat(AS_OF))
        target = work / "dbt_target"
        _scope(warehouse, [])
        _run(warehouse, target, True, dbt_vars)  # warm-up: tables exist, manifest parsed
        full, incremental = [], []
        for _ in range(args.repeat):
            _scope(warehouse, [])
            full.append(_run(warehouse, target, True, dbt_vars))
            _scope(warehouse, [lea])
            incremental.append(_run(warehouse, target, False, dbt_vars))

    def med(runs, i):
        return statistics.median(r[i] for r in runs)

    print(f"\nroster in force: {rows:,} rows from {leas} LEAs; incremental scope: LEA {lea} "
          f"({students:,} rows, the largest); median of {args.repeat} runs each")  # fmt: skip
    print(f"{'':<32}{'dbt run wall':>14}{'all models':>12}{'per-LEA models':>16}  (s)")
    for name, runs in (
        ("full rebuild (--full-refresh)", full),
        ("incremental, one LEA", incremental),
    ):
        print(f"{name:<32}{med(runs, 0):>14.2f}{med(runs, 1):>12.2f}{med(runs, 2):>16.2f}")
    ratios = [med(full, i) / med(incremental, i) for i in range(3)]
    print("ratio full / incremental: " + ", ".join(f"{r:.1f}x" for r in ratios))


if __name__ == "__main__":
    main()
