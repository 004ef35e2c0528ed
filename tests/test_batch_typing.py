"""Typing a whole batch at once (`read_pending` -> `type_batch`) gives every file the rows and
messages reading and typing it alone (`read_one`) gives: values that cannot be typed in several
files, an optional column missing from some, a header-only file, an unreadable file, an
unknown LEA."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sped.contracts import get
from sped.ingest.batch import read_one, read_pending
from sped.ingest.typing import type_batch, type_table
from sped.landing.layout import DeclaredKey
from sped.run.steps import open_registry
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


#: Spellings a district may send for each kind of typed cell: good, odd and wrong (None: an
#: empty workbook cell).
SPELLINGS = {
    "code": ["RC80", "rc80", " RC39 ", "", "  ", "Rc79To40", "X", "ss"],
    "flag": ["Y", "n", "TRUE", "false", " y ", "", "yes", "0", "True"],
    "date": ["2025-10-01", "10/1/2025", " 2024-02-29 ", "2023-02-29", "45123", "", "1/32/2025"],
    "integer": ["10", " 10 ", "-3", "+7", "1.5", "", "ten", "007"],
    "decimal": ["1250.00", "1250", ".5", "-3.25", "1,250.00", "$12", "1.234", ""],
    "number": ["90", "87.5", " 1e2 ", "", "n/a", "-0", "100.0"],
    "text": ["S00001", " S2 ", "", "x y"],
}
SPELLINGS = {kind: [*values, None] for kind, values in SPELLINGS.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_typing_by_distinct_values_equals_typing_every_cell(data, monkeypatch):
    """The lookup of each distinct value's conversion (typing.DICTIONARY_TYPES) gives the same
    typed table and the same findings as converting every cell, for any mix of spellings."""
    from sped.ingest import typing

    roster = get("placements")
    heights = data.draw(st.lists(st.integers(0, 30), min_size=1, max_size=4))
    tables = []
    for n in heights:
        columns = {}
        for c in roster.columns:
            if c.required or data.draw(st.booleans()):
                spellings = st.sampled_from(SPELLINGS.get(c.type, SPELLINGS["text"]))
                columns[c.name] = data.draw(st.lists(spellings, min_size=n, max_size=n))
        table = pl.DataFrame(columns, schema={k: pl.String for k in columns})
        tables.append(table.with_columns(pl.int_range(2, n + 2).alias("_source_row")))
    ids = list(range(1, len(tables) + 1))
    with monkeypatch.context() as m:
        m.setattr(typing, "DICTIONARY_MAX_SHARE", 1.0)  # every typed column by its values
        looked_up = type_batch(tables, ids, roster)
        m.setattr(typing, "DICTIONARY_TYPES", frozenset())  # every cell converted
        converted = type_batch(tables, ids, roster)
    assert looked_up[0].equals(converted[0])
    assert looked_up[1] == converted[1]
