"""Property-based fuzzing of the reader and the validator (issue 11): random bytes, mutated
valid CSV and XLSX files, truncated zips, wrong encodings and huge fields within the limits.
Whatever the bytes, the answer is findings (a file that cannot be read has a blocking one, in
bounded text), never an exception; readable files type and validate without one either.

The reader itself (`read_table`) is fuzzed, not only `read_one` with its catch-all: every
failure must be one it names (damaged workbook, limit, encoding, header), so the catch-all's
"cannot be read" never appears here. Example counts are modest (about half a minute)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sped.contracts.findings import TEXT_CHARS, VALUE_CHARS
from sped.ingest.batch import stage_batch
from sped.ingest.read import read_table
from sped.ingest.typing import type_table
from sped.run.steps import connect
from sped.validation import validate_batch
from tests.hostile_files import EXP, SHEET, exp_csv, exp_xlsx, rewrite

pytestmark = pytest.mark.slow
VALID_CSV = exp_csv(rows=5)
VALID_XLSX = exp_xlsx(rows=5)
with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as _z:
    VALID_SHEET = _z.read(SHEET)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@st.composite
def mutated(draw, base: bytes) -> bytes:
    """`base` with a few random edits: flipped, inserted or deleted bytes, or cut short."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        else:
            del data[pos:]
    return bytes(data)


@st.composite
def mutated_sheet(draw) -> bytes:
    """A valid zip whose worksheet XML was edited (so the damage is in the XML, not the zip)."""
    return rewrite(VALID_XLSX, {SHEET: draw(mutated(VALID_SHEET))})


@st.composite
def wrongly_encoded(draw) -> bytes:
    text = ",".join(EXP.column_names) + "\n" + draw(st.text(max_size=200))
    encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def huge_field(draw) -> bytes:
    """A value of up to half a megabyte (within the 1 MB line limit) in a random column."""
    size = draw(st.integers(10_000, 500_000))
    column = draw(st.integers(0, len(EXP.column_names) - 1))
    row = ["2500001", "2026", "E1", "IDEA_611", "DIRECT_SERVICES", "10.00", "2026-10-15"]
    row += [""] * (len(EXP.column_names) - len(row))  # optional columns left blank
    row[column] = draw(st.sampled_from(["9", "x", "é", '"', ","])) * size
    if '"' in row[column] or "," in row[column]:
        row[column] = '"' + row[column].replace('"', '""') + '"'
    return VALID_CSV + ",".join(row).encode() + b"\n"


FILES = st.one_of(
    st.tuples(st.binary(max_size=3000), st.sampled_from(["f.csv", "f.xlsx"])),
    st.tuples(mutated(VALID_CSV), st.just("f.csv")),
    st.tuples(mutated(VALID_XLSX), st.just("f.xlsx")),
    st.tuples(mutated_sheet(), st.just("f.xlsx")),
    st.tuples(st.integers(0, len(VALID_XLSX)).map(lambda n: VALID_XLSX[:n]), st.just("f.xlsx")),
    st.tuples(wrongly_encoded(), st.just("f.csv")),
    st.tuples(huge_field(), st.just("f.csv")),
)


def _bounded(findings) -> None:
    for f in findings:
        assert len(f.text) <= TEXT_CHARS and "\n" not in f.message()
        assert all(len(v) <= VALUE_CHARS for v in f.sample_values)


@FUZZ
@given(FILES)
def test_the_reader_answers_any_bytes_with_findings(file):
    data, name = file
    result = read_table(data, name, EXP, 1)
    _bounded(result.findings)
    if result.table is None:
        assert any(f.blocking for f in result.findings)
        assert not any(f.rule_id.endswith(".file.unreadable") for f in result.findings)
    else:
        typed, found = type_table(result.table, EXP, 1)
        _bounded(found)
        assert typed.height == result.table.height


@pytest.fixture(scope="module")
def batch_con(tmp_path_factory):
    from sped.config.settings import Installation

    inst = Installation(tmp_path_factory.mktemp("fuzz") / "warehouse.duckdb").create()
    con = connect(inst)
    yield con
    con.close()


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(mutated(VALID_CSV), huge_field(), wrongly_encoded()))
def test_the_validator_checks_whatever_the_reader_let_through(batch_con, profile, data):
    from sped.ingest.batch import read_one
    from tests.test_hostile_files import _sub

    frame, findings, _ = read_one(data, _sub("f.csv", 1), EXP, None, profile.limits)
    _bounded(findings)
    if frame is not None and stage_batch(batch_con, EXP, [frame]):
        found = validate_batch(batch_con, "expenditures", profile, dt.date(2026, 11, 1))
        _bounded(found)
        assert {f.submission_id for f in found} <= {1}


CELL = st.text(alphabet=st.sampled_from('ab 1,"\t;é-'), max_size=8)


@st.composite
def csv_texts(draw) -> bytes:
    """Valid CSVs with a few random edits, and tables of awkward cells (commas, quotes)."""
    if draw(st.booleans()):
        return draw(mutated(VALID_CSV))
    header = VALID_CSV.split(b"\n", 1)[0].decode()
    width = header.count(",") + 1
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=6))
    out = io.StringIO()
    import csv

    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE]))
    writer = csv.writer(out, quoting=quoting, escapechar="\\", lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return (header + "\n" + out.getvalue()).encode()


@FUZZ
@given(data=csv_texts())
def test_small_and_large_csv_paths_read_the_same_table(data):
    """A CSV under FAST_CSV_MIN_CHARS is read by the csv module, a larger one by polars where
    polars accepts it: for any file polars accepts, both give the same table and findings."""
    from sped.ingest import read

    def both():
        out, kept = [], read.FAST_CSV_MIN_CHARS
        try:
            for threshold in (0, 10**9):
                read.FAST_CSV_MIN_CHARS = threshold
                result = read_table(data, "f.csv", EXP, 7)
                out.append((result.table, [repr(f) for f in result.findings]))
        finally:
            read.FAST_CSV_MIN_CHARS = kept
        return out

    (fast, fast_findings), (careful, careful_findings) = both()
    assert fast_findings == careful_findings
    assert (fast is None) == (careful is None)
    if fast is not None:
        assert fast.schema == careful.schema
        assert fast.equals(careful)


def test_the_polars_path_strips_what_str_strip_strips():
    from sped.ingest.read import PYTHON_WHITESPACE

    assert "".join(c for c in map(chr, range(0x110000)) if c.isspace()) == PYTHON_WHITESPACE
