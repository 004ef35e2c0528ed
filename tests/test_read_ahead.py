"""Workbooks read ahead by the registration's helper (sped/ingest/read_ahead.py) give a batch
exactly what reading them in the batch gives, so the batch reads none of them again; a result
is used only for the bytes it was read from, never before the helper has finished, and a helper
that failed leaves the batch to read its files itself."""

from __future__ import annotations

from concurrent.futures import Future

import polars as pl
import pytest

from sped.ingest import batch, read_ahead, read_helpers
from sped.ingest.batch import read_pending
from sped.ingest.limits import DEFAULT_LIMITS
from sped.ingest.parts import is_workbook, read_cost
from sped.run.steps import open_registry
from tests.hostile_files import (
    EXP,
    corrupt_stream,
    exp_csv,
    exp_xlsx,
    receive_expenditures,
    zip_bomb,
)

KNOWN = {f"25000{i:02d}" for i in range(1, 9)}
FILES = {
    "2500001": ("a.xlsx", exp_xlsx(rows=300, lea="2500001")),
    "2500002": ("b.xlsx", exp_xlsx(rows=40, lea="2500002")),
    "2500004": ("d.xlsx", corrupt_stream(exp_xlsx(rows=60, lea="2500004"))),
    "2500005": ("e.xlsx", zip_bomb(expanded_mb=300)),
    "2500099": ("h.xlsx", exp_xlsx(rows=10, lea="2500099")),  # not in the LEA directory
    "2500007": ("g.csv", exp_csv(lea="2500007", rows=5)),
}
WORKBOOKS = {name for name, _ in FILES.values() if name.endswith(".xlsx")}


@pytest.fixture
def pending(inst, monkeypatch):
    monkeypatch.setattr(read_helpers, "helpers_available", lambda: 0)  # this process reads
    with open_registry(inst) as reg:
        yield reg, receive_expenditures(reg, FILES)


def _read(reg, subs):
    frames, findings, rows = read_pending(reg, EXP, subs, KNOWN, lambda _m: None, DEFAULT_LIMITS)
    return pl.concat(frames).sort("_submission_id", "_source_row"), dict(findings), rows


def _reading(result=None, error: Exception | None = None) -> Future:
    future: Future = Future()
    if error is not None:
        future.set_exception(error)
    elif result is not None:
        future.set_result(result)
    return future


def _read_in_batch(monkeypatch) -> list[str]:
    """The names of the files the batch reads itself with `read_table`."""
    names: list[str] = []
    real = batch.read_table
    monkeypatch.setattr(
        batch, "read_table", lambda data, name, *a: names.append(name) or real(data, name, *a)
    )
    return names


def test_workbooks_read_ahead_give_the_batch_what_it_would_read_itself(pending, monkeypatch):
    reg, subs = pending
    frame, findings, rows = _read(reg, subs)
    ahead = read_ahead.read_workbooks(reg, DEFAULT_LIMITS)
    assert {s.original_name for s in subs if s.submission_id in ahead} == WORKBOOKS
    names = _read_in_batch(monkeypatch)
    with read_ahead.offered(_reading(ahead)):
        frame2, findings2, rows2 = _read(reg, subs)
    assert names == [], "no workbook read again"
    assert frame2.equals(frame) and findings2 == findings and rows2 == rows
    assert ahead == {}, "each handed out once"


def test_a_result_is_used_only_for_its_own_bytes_and_only_once_the_helper_is_done(
    pending, monkeypatch
):
    reg, subs = pending
    expected = _read(reg, subs)
    names = _read_in_batch(monkeypatch)
    ahead = read_ahead.read_workbooks(reg, DEFAULT_LIMITS)
    first = next(iter(ahead))
    ahead[first] = ("0" * 64, ahead[first][1])  # read from other bytes
    for reading in (_reading(ahead), _reading(), _reading(error=RuntimeError("helper died"))):
        names.clear()
        with read_ahead.offered(reading):
            frame, findings, rows = _read(reg, subs)
        assert frame.equals(expected[0]) and findings == expected[1] and rows == expected[2]
        if reading.done() and reading.exception() is None:
            assert names == [reg.submission(first).original_name]
        else:  # still reading, or failed: the batch reads every workbook itself
            assert sorted(names) == sorted(WORKBOOKS)


def test_what_is_read_ahead_is_bounded(pending):
    reg, subs = pending
    workbooks = [s for s in subs if is_workbook(s)]
    cost = [read_cost(s) for s in workbooks]
    budget = cost[0] + cost[1]  # the first two fit, the third does not
    ahead = read_ahead.read_workbooks(reg, DEFAULT_LIMITS, budget=budget)
    assert sorted(ahead) == sorted(s.submission_id for s in workbooks[:2])
