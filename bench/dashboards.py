"""Benchmark: each dashboard page's data time, and each figure of the API, on a large state.

Runs the pipeline once over a synthetic state (default: the `large` scale, two school years) or
takes an installation with `--warehouse`, then, on the published snapshot as the web
application reads it, times for every page what a request does before rendering HTML: open the
snapshot read-only, read the rows (`sped.dashboards.figures`) and build the plotly figures
(`sped.dashboards.pages`), and separately each `GET /api/v1/figures/{name}` query (rows only).
Prints the median and the slowest of `--repeat` runs per page and per figure. The goal: each
page's data well under a second on these 2-core machines.
Run: `make bench` (BENCH_DASH_SCALE, BENCH_DASH_YEARS).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from bench.incremental_marts import _prepare
from sped.config.settings import Installation
from sped.dashboards import figures, pages
from sped.dashboards.scope import Filters, Scope
from sped.landing.accounts import current_os_user
from sped.launch.pipeline_run import run_pipeline


def _time(fn, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        clock = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - clock)
    return statistics.median(runs), max(runs)


def _page(inst: Installation, slug: str, lea_id: str | None):
    def run():
        con = figures.snapshot(inst)
        try:
            if slug == "lea":
                page = pages.lea(con, Scope.state(), Filters(), lea_id=lea_id)
            else:
                page = pages.PAGES[slug](con, Scope.state(), Filters())
            for chart in page.charts:
                chart.json()  # the figure as the page embeds it
        finally:
            con.close()

    return run


def _figure(inst: Installation, name: str, year: str):
    def run():
        con = figures.snapshot(inst)
        try:
            figures.figure(con, name, Scope.state(), Filters(school_year=year))
        finally:
            con.close()

    return run


def _installation(args: argparse.Namespace, work: Path) -> Installation:
    """The state to measure: `--warehouse`, else one built in `work` (reused when it is
    there: a kept --workdir, or its landing folder without the build)."""
    if args.warehouse:
        return Installation(Path(args.warehouse).resolve())
    inst = Installation((work / "install" / "warehouse.duckdb").resolve())
    if inst.published_warehouse.exists():
        return inst
    if not (work / "landing").is_dir():
        return Installation(_prepare(args, work).resolve())
    clock = time.perf_counter()
    lines: list[str] = []
    code = run_pipeline(
        landing=work / "landing",
        warehouse=str(inst.warehouse),
        profile=None,
        as_of="2026-11-01",
        submitter=f"operator:{current_os_user()}",
        out=lines.append,
    )
    if code != 0:
        print("\n".join(lines))
        raise SystemExit("the pipeline failed; see above")
    print(f"pipeline over the kept landing folder in {time.perf_counter() - clock:.0f} s")
    return inst


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--warehouse", help="an installation already built (skips generation)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--workdir",
        help="build the state here and keep it (a later run with --warehouse reuses it)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmp:
        work = Path(args.workdir) if args.workdir else Path(tmp)
        inst = _installation(args, work)
        con = figures.snapshot(inst)
        try:
            year = pages.latest_school_year(con)
            sizes = {
                n: con.execute(f"SELECT count(*) FROM {s.mart}").fetchall()[0][0]
                for n, s in figures.SOURCES.items()
            }
            biggest = (
                con.sql(
                    "SELECT lea_id FROM marts.fct_out_of_district WHERE school_year = ? "
                    "ORDER BY students DESC LIMIT 1",
                    params=[year],
                )
                .pl()["lea_id"]
                .to_list()
            )
            roster = con.execute("SELECT count(*) FROM staging.stg_placements").fetchall()[0][0]
        finally:
            con.close()
        print(f"snapshot {inst.published_warehouse}: {roster:,} roster rows; mart rows {sizes}")
        rows = []
        for slug in [*pages.PAGES, "lea"]:
            median, worst = _time(_page(inst, slug, biggest[0] if biggest else None), args.repeat)
            rows.append({"what": f"page {slug}", "median_s": median, "max_s": worst})
        for name in figures.FIGURE_NAMES:
            median, worst = _time(_figure(inst, name, year), args.repeat)
            rows.append({"what": f"api {name}", "median_s": median, "max_s": worst})
        table = pl.DataFrame(rows)
        with pl.Config(tbl_rows=40, float_precision=3):
            print(table)
        slowest = table.filter(pl.col("what").str.starts_with("page")).sort("max_s")[-1]
        print(
            f"slowest page: {slowest['what'][0]} {slowest['max_s'][0]:.3f} s "
            f"(median {slowest['median_s'][0]:.3f} s) over {args.repeat} runs"
        )


if __name__ == "__main__":
    main()
