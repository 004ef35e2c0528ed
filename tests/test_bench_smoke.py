"""A small smoke of the benchmark (`make bench` runs the real one): bench/pipeline.py --quick
on the small state, one year. It must run every measurement, and the plain DuckDB floor's
figures must agree with the marts on every LEA whose files were all accepted. No timing is
asserted (speed is measured, never tested)."""

from __future__ import annotations

import json

import pytest

from bench import floor as bench_floor
from bench.pipeline import main

pytestmark = pytest.mark.slow


def test_bench_runs_every_measurement_and_the_floor_agrees(tmp_path):
    out = tmp_path / "latest.json"
    report = main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text()) == report
    for key in (
        "full_refresh_s",
        "floor_s",
        "ratio_vs_floor",
        "ratio_vs_floor_state",
        "resubmission_fraction",
        "resubmission_cli_fraction",
        "upload_p95_s",
        "validate_cli_p50_s",
        "peak_rss_mb",
        "large_over_state_time_per_row",
        "machine",
        "date",
    ):
        assert key in report, key
    small = report["scales"]["small"]
    assert report["figures_agree"], small["agreement"]
    assert all(small["agreement"][t]["compared"] > 0 for t in bench_floor.TABLES)
    assert small["full_refresh"]["steps"]["sped_dbt_models"] > 0
    assert small["resubmission_cli"]["steps"]["register"] >= 0
    assert small["resubmission"]["warm_worker"]  # the portal's run went through the worker
    assert small["resubmission"]["seconds"] > small["resubmission"]["upload_answer_s"] > 0
    assert small["resubmission"]["runs_s"] == [small["resubmission"]["seconds"]]
    steps = small["resubmission"]["steps"]  # the portal's run, visiting what changed
    assert steps["sped_dbt_models"] > 0 and "raw__placements" in steps
    assert "raw__leas" not in steps  # settled, passed by
    nodes = small["resubmission"]["dbt_nodes"]  # the portal's dbt build, node by node
    assert 0 < nodes["tests"] < nodes["nodes"] and nodes["elapsed_s"] > 0
    suppression = nodes["shr_suppression"]
    assert nodes["shr_spp_indicators"]["starts_at_s"] >= suppression["starts_at_s"] > 0
    assert small["validate_cli"]["runs"] == 3 and report["peak_rss_mb"] > 0
    held = report["targets"]  # each target with its measurement; unmeasured ones say so
    assert held["state_ratio"] == {"measured": None, "target": 6.0, "met": None}
    assert held["peak_rss_mb"]["measured"] == report["peak_rss_mb"]
    assert held["resubmission_fraction"]["met"] in (True, False)
