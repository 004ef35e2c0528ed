"""Typing a whole batch at once (`read_pending` -> `type_batch`) gives every file the rows and
messages reading and typing it alone (`read_one`) gives: values that cannot be typed in several
files, an optional column missing from some, a header-only file, an unreadable file, an
unknown LEA."""

from __future__ import annotations

import polars as pl
import pytest

from sped.contracts import get
from sped.ingest.batch import read_one, read_pending
from sped.ingest.typing import type_batch, type_table
from sped.landing.layout import DeclaredKey
from sped.steps import open_registry
from tests.state_channel import OPERATOR

HEADER = (
    "lea_id,school_year,count_date,student_id,birth_date,grade_level,disability_category,"
    "educational_environment,placement_type,placement_start_date,twndp_pct,"
    "transport_minutes_one_way"
)


def _row(i: int, **over: str) -> str:
    row = {
        "lea_id": "2500001",
        "school_year": "2025-26",
        "count_date": "2025-10-01",
        "student_id": f"S{i:05d}",
        "birth_date": "3/1/2015",
        "grade_level": "05",
        "disability_category": "sld",
        "educational_environment": "RC80",
        "placement_type": "IN_DISTRICT",
        "placement_start_date": "2023-09-01",
        "twndp_pct": "90",
        "transport_minutes_one_way": " 10 ",
    }
    row.update(over)
    return ",".join(row.values())


def _csv(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


FILES = {
    "2500001": _csv([_row(i) for i in range(30)]),
    "2500002": _csv(
        [_row(1, lea_id="2500002", count_date="10/32/2025"), _row(2, lea_id="2500002")]
        + [_row(i, lea_id="2500002", twndp_pct="ninety") for i in range(3, 20)]
    ),
    "2500003": _csv(  # no transport column (optional) and a bad whole number elsewhere
        [",".join(_row(i, lea_id="2500003").split(",")[:-1]) for i in range(5)],
        header=HEADER.rsplit(",", 1)[0],
    ),
    "2500004": _csv([]),
    "2500005": b"\x00\x01binary",
    "2500099": _csv([_row(1, lea_id="2500099", birth_date="45123")]),
}


@pytest.fixture
def pending(inst):
    with open_registry(inst) as reg:
        for lea, data in FILES.items():
            reg.receive(
                data,
                DeclaredKey("placements", lea, "2025-26"),
                original_name=f"{lea}.csv",
                submitter=OPERATOR,
            )
        yield reg, reg.pending("placements")


def test_batch_reading_equals_reading_each_file_alone(pending):
    reg, subs = pending
    roster = get("placements")
    known = {f"250000{i}" for i in range(1, 6)}  # 2500099 is not in the directory
    frames, findings, rows = read_pending(reg, roster, subs, known, lambda _m: None)
    alone = [read_one(reg.read_bytes(s), s, roster, known) for s in subs]
    expected = pl.concat([f for f, _, _ in alone if f is not None])
    got = pl.concat(frames)
    assert got.sort("_submission_id", "_source_row").equals(
        expected.sort("_submission_id", "_source_row")
    )
    assert rows == {s.submission_id: n for s, (_, _, n) in zip(subs, alone, strict=True)}
    for sub, (_, found, _) in zip(subs, alone, strict=True):
        assert findings[sub.submission_id] == found, sub.lea_id
    kinds = {f.rule_id for fs in findings.values() for f in fs}
    assert {
        "placements.count_date.type",
        "placements.twndp_pct.type",
        "placements.birth_date.type",
        "placements.file.unknown_lea",
        "placements.file.not_text",
    } <= kinds


def test_type_batch_of_one_table_is_type_table():
    from sped.ingest.read import read_table

    roster = get("placements")
    table = read_table(FILES["2500002"], "x.csv", roster, 7).table
    typed, found = type_table(table, roster, 7)
    batch, by_sub = type_batch([table], [7], roster)
    assert batch.drop("_submission_id").equals(typed)
    assert by_sub == {7: found}
    assert found[0].failed_count == 1 and found[1].failed_count == 17
