"""A batch read in parts (sped/ingest/parts.py `batch_parts`, which bounds the memory a large
batch takes) decides and loads exactly what it decides and loads read whole: the same rows in
force, the same outcome and findings for every file, workbooks and rejected files included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sped.config.profile import load_profile
from sped.config.settings import Installation
from sped.contracts import COLLECTIONS
from sped.generate import generate
from sped.ingest import batch
from sped.ingest import parts as parts_module
from sped.ingest.batch import process_collection
from sped.ingest.parts import batch_parts
from sped.landing.registry import Submission
from sped.operations.initialise import initialise
from sped.run.steps import connect, open_registry, register_landing
from sped.validation.runner import validate_batch, validate_cross
from tests.state_channel import OPERATOR

AS_OF = dt.date(2026, 11, 1)


def _sub(sid: int, size: int, name: str = "roster.csv") -> Submission:
    return Submission(**{**_BLANK, "submission_id": sid, "size_bytes": size, "original_name": name})


_BLANK = dict.fromkeys(Submission.__dataclass_fields__)


def test_parts_keep_the_order_and_bound_the_bytes():
    subs = [_sub(1, 60), _sub(2, 50), _sub(3, 10, "roster.xlsx"), _sub(4, 300), _sub(5, 5)]
    parts = batch_parts(subs, limit=120)
    assert [[s.submission_id for s in p] for p in parts] == [[1, 2], [3], [4], [5]]
    assert [s for p in parts for s in p] == subs  # every file once, in the batch's order
    assert batch_parts([], limit=120) == []


def _load(landing: Path, root: Path, part_bytes: int, monkeypatch) -> tuple[list, list, int]:
    """Register `landing` in a new installation and process every collection with batches cut
    into parts of `part_bytes`: (raw rows of the district collections, the outcomes, the
    parts the rosters were read in)."""
    monkeypatch.setattr(parts_module, "PART_BYTES", part_bytes)
    reads = []
    real = batch.read_pending
    monkeypatch.setattr(
        batch, "read_pending", lambda _r, c, subs, *a: reads.append(c.name) or real(_r, c, subs, *a)
    )
    inst = Installation(root / "warehouse.duckdb")
    initialise(inst)
    profile = load_profile()
    registry = open_registry(inst)
    con = connect(inst)
    try:
        register_landing(landing, registry, submitter=OPERATOR, limits=profile.limits)
        for collection in COLLECTIONS.values():
            process_collection(
                con, registry, collection, profile, AS_OF,
                validate=validate_batch, validate_cross=validate_cross,
            )  # fmt: skip
        rows = [
            (name, *row)
            for name in ("placements", "monitoring_log", "child_find")
            for row in con.execute(f"SELECT * FROM raw.{name} ORDER BY ALL").fetchall()
        ]
        outcomes = [
            (s.original_name, s.lea_id, s.period, s.status, s.row_count,
             sorted((f.rule_id, f.failed_count) for f in registry.findings(s.submission_id)))
            for s in registry.submissions()
        ]  # fmt: skip
    finally:
        con.close()
        registry.close()
    return rows, sorted(outcomes, key=repr), reads.count("placements")


@pytest.mark.slow
def test_a_batch_read_in_parts_loads_what_it_loads_whole(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    generate(landing, scale="small", years=1, seed=5)
    whole = _load(landing, tmp_path / "whole", 2**40, monkeypatch)
    parts = _load(landing, tmp_path / "parts", 40_000, monkeypatch)
    assert (whole[2], parts[2]) == (1, parts[2]) and parts[2] > 3
    assert whole[0] and whole[:2] == parts[:2]
    statuses = {o[3] for o in whole[1]}
    assert {"accepted", "rejected"} <= statuses  # the comparison covers both outcomes
    assert any(o[0].endswith(".xlsx") for o in whole[1])
