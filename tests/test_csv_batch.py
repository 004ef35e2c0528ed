"""The batch CSV read (`read_plain`, DuckDB's reader over many files at once) gives every file it
takes exactly what the careful reader (`read_table`, one file at a time) gives it: the same text
table, row numbers included, and the same findings; every file it does not take is left to the
careful reader. Checked on random batches of plain, awkward and damaged files, and on the
edges one by one: blank rows, rows too short or too long, a byte-order mark, Windows line ends,
quotes, other encodings, header problems, a file with no data rows."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sped.ingest.csv_batch import read_plain
from sped.ingest.limits import DEFAULT_LIMITS
from sped.ingest.read import read_table
from tests.hostile_files import EXP, exp_csv
from tests.test_fuzz_reader import csv_texts, mutated, wrongly_encoded
from tests.test_hostile_files import _sub

HEADER = ",".join(EXP.column_names)
ROW = "2500001,2026,E{n},IDEA_611,DIRECT_SERVICES,10.00,2026-10-15"


def _file(*rows: str, header: str = HEADER, end: str = "\n") -> bytes:
    return (end.join([header, *rows]) + end).encode()


def _assert_same_as_careful(files: list[bytes]) -> set[int]:
    """Read `files` as one batch; each file taken must read as `read_table` reads it alone.
    Returns the ids of the files the batch took."""
    items = [(_sub(f"f{i}.csv", i + 1), data) for i, data in enumerate(files)]
    batch = read_plain(items, EXP, DEFAULT_LIMITS)
    taken = set(batch.rows)
    assert taken.isdisjoint(s.submission_id for s in batch.rest)
    assert taken | {s.submission_id for s in batch.rest} == {s.submission_id for s, _ in items}
    for sub, data in items:
        sid = sub.submission_id
        if sid not in taken:
            continue
        alone = read_table(data, sub.original_name, EXP, sid, DEFAULT_LIMITS)
        assert alone.readable, "the batch took a file the careful reader refuses"
        mine = batch.table.filter(batch.table["_submission_id"] == sid).drop("_submission_id")
        # a column this file lacks but another layout of the batch has is null for its rows
        # (typing then gives it NULL, as it gives a column absent from the file alone)
        lacking = [c for c in mine.columns if c not in alone.table.columns]
        assert all(mine[c].null_count() == mine.height for c in lacking), lacking
        mine = mine.drop(lacking)
        assert mine.columns == alone.table.columns
        assert mine.equals(alone.table), (mine, alone.table)
        assert batch.rows[sid] == alone.table.height
        assert batch.findings[sid] == alone.findings
    if not taken:
        assert batch.table is None
    else:
        assert set(batch.table["_submission_id"].unique()) <= taken
    return taken


def test_plain_files_are_read_together_each_row_keeping_its_file_and_number():
    files = [
        _file(*(ROW.format(n=n) for n in range(3))),
        _file(ROW.format(n=9)),
        exp_csv("2500002", rows=4),
        _file(ROW.format(n=1), header=HEADER.replace("lea_id", "LEA_ID ")),  # a header spelling
    ]
    assert _assert_same_as_careful(files) == {1, 2, 3, 4}


@pytest.mark.parametrize(
    "data",
    [
        _file(ROW.format(n=1), ",,,,,,", ROW.format(n=2)),  # a blank row
        _file(ROW.format(n=1), " , ,\t,,,,", ROW.format(n=2)),  # blank but for whitespace
        _file(ROW.format(n=1), "", ROW.format(n=2)),  # an empty line
        _file(ROW.format(n=1) + ",extra", ROW.format(n=2)),  # one value too many
        _file(ROW.format(n=1) + ",,", ROW.format(n=2)),  # blank values beyond the header
        _file(ROW.format(n=1) + ",x,y", ROW.format(n=2)),  # two too many
        _file("2500001,2026", ROW.format(n=2)),  # a short row
        _file(ROW.format(n=1), ROW.format(n=2), end="\r\n"),  # Windows line ends
        _file(ROW.format(n=1)).replace(b"\n", b"\r"),  # old Mac line ends
        b"\xef\xbb\xbf" + _file(ROW.format(n=1)),  # a byte-order mark
        _file(ROW.format(n=1).replace("E1", '"E,1"')),  # a quoted value
        _file("Caf\xe9".join([ROW.format(n=1)[:8], ROW.format(n=1)[8:]])).decode().encode("cp1252"),
        _file(ROW.format(n=1)).decode().encode("utf-16"),
        _file(ROW.format(n=1), header=HEADER.replace("amount", "amount,amount")),
        _file(ROW.format(n=1), header=HEADER.replace("amount,", "")),  # a required column gone
        _file(ROW.format(n=1), header=HEADER + ",note"),  # a column not in the contract
        _file(header=HEADER),  # no data rows
        _file(",,,,,,"),  # no rows but a blank one
        _file(ROW.format(n=1), header=HEADER.replace(",", ";")),  # another delimiter
        _file(ROW.format(n=1).replace("2500001", " 2500001 ")),  # values with spaces
        _file(ROW.format(n=1).replace("2500001", "")),  # a first value blank
    ],
)
def test_each_edge_reads_as_the_careful_reader_reads_it(data):
    """Beside two plain files, the edge file is either read as the careful reader reads it or
    left to it; the plain files around it keep their rows and numbers either way."""
    assert {1, 3} <= _assert_same_as_careful([exp_csv(rows=3), data, exp_csv(rows=2)])


def test_the_files_it_leaves_are_those_that_are_not_plain():
    plain = exp_csv(rows=2)
    taken = _assert_same_as_careful(
        [
            plain,
            _file(ROW.format(n=1) + ",x,y"),
            _file(ROW.format(n=1), "", ROW.format(n=2)),
            plain.decode().encode("utf-16"),
            _file(ROW.format(n=1).replace("E1", '"E,1"')),
            _file(header=HEADER),
        ]
    )
    assert taken == {1}


BATCH = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
FILES = st.one_of(csv_texts(), mutated(exp_csv(rows=5)), wrongly_encoded())


@pytest.mark.slow
@BATCH
@given(st.lists(FILES, min_size=1, max_size=6))
def test_any_batch_reads_as_each_file_alone(files):
    _assert_same_as_careful(files)
