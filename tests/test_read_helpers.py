"""Files read in helper processes (sped/ingest/read_helpers.py) get exactly what reading them
in-process gives: the same rows and the same findings, for good, damaged, oversized and
unknown-LEA workbooks and CSV files; and a helper pool that dies sends its files back to be read
in-process."""

from __future__ import annotations

import time

import polars as pl
import pytest

from sped.ingest import batch, read_helpers
from sped.ingest.batch import read_pending
from sped.ingest.limits import DEFAULT_LIMITS
from sped.run.steps import open_registry
from tests.hostile_files import (
    EXP,
    corrupt_stream,
    exp_csv,
    exp_xlsx,
    receive_expenditures,
    truncated_sheet,
    zip_bomb,
)

KNOWN = {f"25000{i:02d}" for i in range(1, 9)}
FILES = {
    "2500001": ("a.xlsx", exp_xlsx(rows=300, lea="2500001")),
    "2500002": ("b.xlsx", exp_xlsx(rows=40, lea="2500002")),
    "2500003": ("c.xlsx", truncated_sheet(exp_xlsx(rows=60, lea="2500003"))),
    "2500004": ("d.xlsx", corrupt_stream(exp_xlsx(rows=60, lea="2500004"))),
    "2500005": ("e.xlsx", zip_bomb(expanded_mb=300)),
    "2500006": ("f.xlsx", b"PK\x03\x04 not really a workbook"),
    "2500007": ("g.csv", exp_csv(lea="2500007", rows=5)),
    "2500099": ("h.xlsx", exp_xlsx(rows=10, lea="2500099")),  # not in the LEA directory
    "2500008": ("i.csv", exp_csv(lea="2500008", rows=2000)),
    "2500098": ("j.csv", exp_csv(lea="2500098", rows=900)),  # not in the LEA directory
}


@pytest.fixture
def pending(inst):
    with open_registry(inst) as reg:
        yield reg, receive_expenditures(reg, FILES)


def _read(reg, subs, monkeypatch, *, helpers: bool):
    monkeypatch.setattr(read_helpers, "MIN_HELPER_WORK", 0 if helpers else 10**12)
    monkeypatch.setattr(read_helpers, "WORKBOOK_COST", 1)  # a share with workbooks and CSVs
    monkeypatch.setattr(read_helpers, "helpers_available", lambda: 2 if helpers else 0)
    frames, findings, rows = read_pending(reg, EXP, subs, KNOWN, lambda _m: None, DEFAULT_LIMITS)
    return pl.concat(frames).sort("_submission_id", "_source_row"), dict(findings), rows


def test_helpers_read_every_workbook_as_the_caller_would(pending, monkeypatch):
    reg, subs = pending
    started = []
    real = read_helpers.ProcessPoolExecutor

    def counting(*args, **kwargs):
        started.append(kwargs.get("max_workers"))
        return real(*args, **kwargs)

    monkeypatch.setattr(read_helpers, "ProcessPoolExecutor", counting)
    in_helpers = _read(reg, subs, monkeypatch, helpers=True)
    assert started, "the helper pool was not used"
    shared = {s.original_name[-4:] for s in read_helpers.helpers_share(subs, 2)}
    assert shared == {"xlsx", ".csv"}, shared  # both kinds go to helpers
    in_process = _read(reg, subs, monkeypatch, helpers=False)
    assert in_helpers[0].equals(in_process[0])
    assert in_helpers[1] == in_process[1]
    assert in_helpers[2] == in_process[2]
    kinds = {f.rule_id for fs in in_helpers[1].values() for f in fs}
    assert {"expenditures.file.damaged", "expenditures.file.unknown_lea"} <= kinds


def test_a_broken_helper_pool_sends_its_files_back(pending, monkeypatch):
    """Helpers that die (here: every one exits at once) leave every file to the caller."""
    reg, subs = pending
    monkeypatch.setattr(read_helpers, "read_stored", _die)
    broken = _read(reg, subs, monkeypatch, helpers=True)
    monkeypatch.undo()
    assert broken[0].equals(_read(reg, subs, monkeypatch, helpers=False)[0])
    assert broken[1] == _read(reg, subs, monkeypatch, helpers=False)[1]


def _die(*_args, **_kwargs):
    import os

    os._exit(9)


def test_helpers_that_cannot_start_leave_the_batch_to_the_caller(pending, monkeypatch):
    reg, subs = pending

    def no_processes(*_args, **_kwargs):
        raise OSError("no process may be started here")

    monkeypatch.setattr(read_helpers, "ProcessPoolExecutor", no_processes)
    frames, findings, _rows = _read(reg, subs, monkeypatch, helpers=True)
    in_process = _read(reg, subs, monkeypatch, helpers=False)
    assert frames.equals(in_process[0]) and findings == in_process[1]


def test_the_caller_and_the_helper_share_the_files_by_speed(pending, monkeypatch):
    """Every file the batch CSV read leaves is offered to the helper and the caller reads from
    the cheap end, each file claimed once: with a caller that takes 0.4 s a file, both read
    some, and the tables and findings are those of one process."""
    reg, subs = pending
    real = batch.read_table

    def slow_caller(*args, **kwargs):
        time.sleep(0.4)
        return real(*args, **kwargs)

    said: list[str] = []
    monkeypatch.setattr(batch, "read_table", slow_caller)
    monkeypatch.setattr(read_helpers, "MIN_HELPER_WORK", 0)
    monkeypatch.setattr(read_helpers, "helpers_available", lambda: 1)
    frames, findings, rows = read_pending(reg, EXP, subs, KNOWN, said.append, DEFAULT_LIMITS)
    helped = [int(m.split(": ")[1].split()[0]) for m in said if "read by a helper" in m]
    assert helped, said
    # the plain CSV files first, in one line; then the caller's, one line a file
    plain = [int(m.split("read ")[1].split("/")[0]) for m in said if "plain CSV" in m]
    by_caller = said.index(next(m for m in said if "read by a helper" in m)) - len(plain)
    assert plain == [3], said  # g, i and j.csv
    assert by_caller >= 1 and helped[0] >= 1 and 3 + by_caller + helped[0] == len(subs), said
    monkeypatch.undo()
    in_process = _read(reg, subs, monkeypatch, helpers=False)
    assert pl.concat(frames).sort("_submission_id", "_source_row").equals(in_process[0])
    assert dict(findings) == in_process[1] and rows == in_process[2]
