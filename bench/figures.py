"""The figures the documentation may quote, from the bench's latest results only.

`make bench` writes `bench/results/latest.json`; README.md and docs/performance.md quote some
of its numbers. `quotable()` renders every number of the results in the ways the documents
write them (seconds to one or two decimals, `x` ratios, GB and MB, counts with thousands
separators), and tests/test_documented_figures.py fails when a document quotes a time, a
memory size or a ratio that is not among them: one source for each number. The targets the
bench is held to are stated here, once.
"""

from __future__ import annotations

import json
from pathlib import Path

LATEST = Path(__file__).resolve().parent / "results" / "latest.json"
#: What the bench is held to (the targets, not measurements): README and docs may quote them
#: (bench/pipeline.py TARGETS, and the upload and validate targets).
TARGETS = ("6x", "4x", "0.20", "3 s", "1.0", "4 GB", "2 s", "1 s")


def _numbers(value) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _renderings(n: float) -> set[str]:
    shown = {f"{n:.0f}", f"{n:.1f}", f"{n:.2f}", f"{n:,.0f}"}
    found = set()
    for text in shown:
        found |= {f"{text} s", f"{text}x", f"{text} MB", text}
    for gb in (n / 1000, n / 1024):  # a size in MB shown in GB
        found |= {f"{gb:.2f} GB", f"{gb:.1f} GB"}
    return found


def quotable(latest: Path = LATEST) -> set[str]:
    """Every rendering of every number in the latest results, and the targets."""
    results = json.loads(latest.read_text(encoding="utf-8"))
    found = set(TARGETS)
    for n in _numbers(results):
        found |= _renderings(n)
    return found
