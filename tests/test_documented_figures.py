"""One source for each number: README.md and docs/performance.md quote only times, sizes and
ratios that the bench's latest results hold (bench/results/latest.json, rendered by
bench/figures.py), or the targets stated there. The README once gave an upload's p95 as 0.57 s,
0.51 s and 9.7 s in three places."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.figures import LATEST, quotable

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "docs/performance.md")
#: A number with a unit of time, memory or a ratio, as the documents write them.
FIGURE = re.compile(r"(?<![\w.,-])(\d[\d,]*(?:\.\d+)?)( ?)(ms|s|GB|MB|x)\b")


def quoted_figures(text: str) -> list[str]:
    return [f"{number}{space}{unit}" for number, space, unit in FIGURE.findall(text)]


def unsupported(text: str) -> list[str]:
    held = quotable()
    return [f for f in quoted_figures(text) if f not in held]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_figure_quoted_is_in_the_latest_bench_results(document):
    text = (REPO / document).read_text(encoding="utf-8")
    assert unsupported(text) == [], (
        f"{document} quotes figures bench/results/latest.json does not hold; quote the latest "
        "results (bench/figures.py) or run make bench"
    )


def test_the_check_catches_a_figure_from_elsewhere():
    assert quoted_figures("p95 0.51 s, 3.9x, 1.34 GB") == ["0.51 s", "3.9x", "1.34 GB"]
    results = json.loads(LATEST.read_text(encoding="utf-8"))
    p95, ratio = results["upload_p95_s"], results["ratio_vs_floor_state"]
    assert unsupported(f"an upload's p95 {p95:.2f} s and the state ratio {ratio:.1f}x") == []
    assert unsupported("an upload's p95 987.65 s, or 876.54 s") == ["987.65 s", "876.54 s"]


def test_performance_page_quotes_the_headline_results():
    """The page quotes the latest results' headline figures, not those of an earlier bench."""
    text = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    r = json.loads(LATEST.read_text(encoding="utf-8"))
    headline = (
        f"{r['full_refresh_s']['state']:.1f} s",
        f"{r['ratio_vs_floor_state']}x",  # as the results hold them: 10.0, 9.64
        f"{r['ratio_vs_floor']}x",
        f"{r['targets']['resubmission_seconds']['measured']:.2f} s",
        f"{r['upload_p95_s']:.2f} s",
        f"{r['validate_cli_p50_s']:.2f} s",
        f"{r['peak_rss_mb'] / 1000:.2f} GB",
    )
    for figure in headline:
        assert figure in text, figure
