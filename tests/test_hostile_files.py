"""Issue 11, failures 3 and 4: a damaged or hostile file is rejected with a clear message, in
bounded time and memory, and never stops the run; the limits come from the state profile."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from sped.config.profile import ProfileError, load_profile, parse_profile
from sped.contracts import get
from sped.contracts.findings import VALUE_CHARS, Finding
from sped.ingest import batch
from sped.ingest.batch import process_collection, read_one
from sped.ingest.limits import (
    DEFAULT_LIMITS,
    BoundedArchive,
    Deadline,
    LimitExceeded,
    Limits,
    check_zip_directory,
)
from sped.ingest.read import read_table
from sped.landing.layout import DeclaredKey
from sped.landing.registry import Submission
from sped.run.steps import connect, open_registry
from sped.validation import validate_batch
from tests.hostile_files import (
    EXP,
    SHEET,
    claimed_dimension,
    corrupt_stream,
    exp_csv,
    exp_xlsx,
    lying_compressed,
    lying_directory,
    one_wide_row,
    rewrite,
    truncated_sheet,
    zip_bomb,
)
from tests.state_channel import OPERATOR

AS_OF = dt.date(2026, 11, 1)
ROOT = Path(__file__).resolve().parents[1]
_NO_SHEETS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/>'
    b"</workbook>"
)


def _sub(name: str = "f.xlsx", sid: int = 7) -> Submission:
    return Submission(
        sid, "expenditures", "2500001", "2026", name, None, "", 0, "", "", "received",
        None, None, None, None, None,
    )  # fmt: skip


def _read(data: bytes, name: str = "f.xlsx", limits: Limits | None = None):
    frame, findings, _ = read_one(data, _sub(name), EXP, None, limits)
    return frame, findings


def _blocking(findings: list[Finding]) -> list[str]:
    return [f.rule_id.split(".", 1)[1] for f in findings if f.blocking]


# --- failure 3: any failure of one file is that file's finding -----------------------------


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (truncated_sheet, "ParseError"),  # xml.etree ParseError: unclosed token / no element
        (corrupt_stream, "zlib.error"),  # a corrupt compressed stream
    ],
)
def test_a_damaged_workbook_is_a_clear_blocking_finding(damage, words):
    assert _read(exp_xlsx())[0] is not None  # the intact workbook reads
    frame, findings = _read(damage(exp_xlsx()))
    assert frame is None
    assert _blocking(findings) == ["file.damaged"]
    text = findings[0].message()
    assert "The workbook is damaged and cannot be read" in text and words in text


def test_a_truncated_zip_is_not_a_workbook():
    frame, findings = _read(exp_xlsx()[:300])
    assert frame is None and _blocking(findings) == ["file.not_xlsx"]


def test_any_exception_while_typing_rejects_only_that_file(monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("something no one foresaw")

    monkeypatch.setattr(batch, "type_table", broken)
    frame, findings = _read(exp_csv(), "f.csv")
    assert frame is None and _blocking(findings) == ["file.unreadable"]
    assert "The file cannot be read (RuntimeError)" in findings[0].text
    assert "no one foresaw" not in findings[0].text  # the parser's words never reach a clerk


def test_an_interrupt_is_never_swallowed(monkeypatch):
    """Only Exception is caught: KeyboardInterrupt, SystemExit (SIGTERM) go through."""

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "read_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _read(exp_xlsx())


def _receive(reg, data: bytes, lea: str, name: str) -> int:
    key = DeclaredKey("expenditures", lea, "2026")
    return reg.receive(data, key, original_name=name, submitter=OPERATOR).submission_id


@pytest.mark.parametrize("fails_in", ["reading", "typing"])
def test_a_damaged_workbook_does_not_stop_the_batch(inst, profile, monkeypatch, fails_in):
    """Other districts' files in the same batch are validated and accepted; the damaged one,
    and one whose reading (or typing, which the batch does for all files at once) raised
    something unforeseen, are rejected with their message. Reading fails twice over: the
    batch's DuckDB read of its plain CSV files (every file then goes to the careful reader),
    then that file's own read."""
    leas = "lea_id,name,county,lea_type\n" + "".join(
        f"250000{i},L{i},C,REGULAR\n" for i in range(1, 5)
    )
    real_read_table = batch.read_table
    real_type_table, real_type_batch = batch.type_table, batch.type_batch

    def fails_for_lea_4(data, name, collection, sid, *args, **kwargs):
        if sid == unforeseen:
            raise MemoryError
        return real_read_table(data, name, collection, sid, *args, **kwargs)

    real_read_plain = batch.read_plain

    def plain_read_fails_with_lea_4(items, collection, limits, *found):
        if any(sub.submission_id == unforeseen for sub, _ in items):
            raise MemoryError
        return real_read_plain(items, collection, limits, *found)

    def typing_fails_for_lea_4(table, collection, sid):
        if sid == unforeseen:
            raise MemoryError
        return real_type_table(table, collection, sid)

    def batch_typing_fails_with_lea_4(tables, sids, collection, tagged=None):
        tagged_ids = [] if tagged is None else tagged["_submission_id"].to_list()
        if unforeseen in sids or unforeseen in tagged_ids:  # each file is then typed alone
            raise MemoryError
        return real_type_batch(tables, sids, collection, tagged=tagged)

    with open_registry(inst) as reg:
        reg.receive(
            leas.encode(),
            DeclaredKey("leas", None, "current"),
            original_name="leas.csv",
            submitter=OPERATOR,
        )
        good_csv = _receive(reg, exp_csv("2500001"), "2500001", "a.csv")
        damaged = _receive(reg, truncated_sheet(exp_xlsx(lea="2500002")), "2500002", "b.xlsx")
        good_xlsx = _receive(reg, exp_xlsx(lea="2500003"), "2500003", "c.xlsx")
        unforeseen = _receive(reg, exp_csv("2500004"), "2500004", "d.csv")
        if fails_in == "reading":
            monkeypatch.setattr(batch, "read_plain", plain_read_fails_with_lea_4)
            monkeypatch.setattr(batch, "read_table", fails_for_lea_4)
        else:
            monkeypatch.setattr(batch, "type_table", typing_fails_for_lea_4)
            monkeypatch.setattr(batch, "type_batch", batch_typing_fails_with_lea_4)
        con = connect(inst)
        try:
            process_collection(con, reg, get("leas"), profile, AS_OF, validate=validate_batch)
            result = process_collection(con, reg, EXP, profile, AS_OF, validate=validate_batch)
            loaded = con.execute(
                "SELECT DISTINCT _lea_id FROM raw.expenditures ORDER BY 1"
            ).fetchall()
        finally:
            con.close()
        assert (result.accepted, result.rejected) == (2, 2)
        assert loaded == [("2500001",), ("2500003",)]
        assert reg.submission(good_csv).status == "accepted"
        assert reg.submission(good_xlsx).status == "accepted"
        assert reg.submission(damaged).status == "rejected"
        assert "damaged" in reg.findings(damaged)[0].text
        assert reg.submission(unforeseen).status == "rejected"
        assert "more memory" in reg.findings(unforeseen)[0].text


# --- failure 4: limits, checked before the work they bound ---------------------------------


def test_a_zip_bomb_is_refused_from_its_directory_in_well_under_a_second():
    bomb = zip_bomb(300)  # ~300 KB that would expand to 300 MB
    assert len(bomb) < 2_000_000
    clock = time.perf_counter()
    frame, findings = _read(bomb)
    seconds = time.perf_counter() - clock
    assert frame is None and _blocking(findings) == ["file.limit_xlsx_expanded"]
    assert "would expand to 300.0 MB" in findings[0].text
    assert seconds < 5  # the bound is generous; unbounded, this took minutes (issue 11)


def test_a_compression_ratio_beyond_the_limit_is_refused():
    frame, findings = _read(zip_bomb(20))  # 20 MB: under the size limit, ~1000:1
    assert frame is None and _blocking(findings) == ["file.limit_xlsx_ratio"]


def test_the_zip_directory_is_checked_before_anything_is_inflated():
    """The directory claims 2 GB; the compressed bytes are those of a small sheet. Were the
    sheet opened first, the reader would fail on the mismatch; the limit answers first."""
    frame, findings = _read(lying_directory(exp_xlsx()))
    assert frame is None and _blocking(findings) == ["file.limit_xlsx_expanded"]


def test_one_giant_row_is_refused_without_building_it():
    data = one_wide_row(400_000)  # a single row of ~8 MB of XML
    frame, findings = _read(data)
    assert frame is None and _blocking(findings) == ["file.limit_line_too_long"]


def test_a_claimed_sheet_size_does_not_pad_rows_into_a_memory_error():
    """A sheet claiming A1:XFD1048576 made openpyxl pad every row to 16,384 cells (issue 11:
    MemoryError); the claim is ignored and the far cell found beyond the column limit."""
    frame, findings = _read(claimed_dimension("A1:XFD1048576", "XFD1048576"))
    assert frame is None and _blocking(findings) == ["file.limit_too_many_columns"]
    frame, findings = _read(claimed_dimension("A1:XFD1048576", "A3"))
    assert frame is not None and frame["_source_row"].to_list() == [3]


_MEASURED_READ = """
import json, resource, sys
from sped.contracts import get
from sped.ingest.read import read_table
from tests.hostile_files import exp_xlsx
exp = get("expenditures")
assert read_table(exp_xlsx(), "f.xlsx", exp).readable  # every import and code path warmed up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as f:
    data = f.read()
found = read_table(data, "f.xlsx", exp).findings
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"rules": [f.rule_id for f in found], "text": found[0].text, "grown_kb": grown}))
"""


@pytest.mark.parametrize(
    ("method", "name"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")]
)
def test_a_bz2_or_lzma_part_that_lies_about_its_size_is_refused_in_bounded_memory(
    tmp_path, method, name
):
    """Issue 25, failure 8: a bzip2 or LZMA part whose directory claims 100 KB inflated whole
    (a 6 KB workbook took 2.47 GB). Here 200 MB of XML in a few KB: refused from the directory,
    nothing inflated; the peak memory of the reading process (a child, measured by its own
    getrusage) grows by under 40 MB (unbounded: 230 MB for LZMA, 400 MB for bzip2)."""
    path = tmp_path / "lying.xlsx"
    path.write_bytes(lying_compressed(method, 200))
    assert path.stat().st_size < 100_000
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED_READ, str(path)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=True,
    )  # fmt: skip
    out = json.loads(done.stdout)
    assert out["rules"] == ["expenditures.file.limit_xlsx_compression"]
    assert f"compressed with a method Excel never uses ({name})" in out["text"]
    assert out["grown_kb"] < 40 * 1024


def test_every_part_is_read_within_the_deadline():
    """The deadline covers all of reading, not only the worksheet's rows: a workbook without
    a worksheet is opened (content types, workbook, styles, shared strings) through the
    bounded archive, which checks the time on every step."""
    data = rewrite(exp_xlsx(), {"xl/workbook.xml": _NO_SHEETS})
    assert _blocking(_read(data)[1]) == ["file.empty"]  # in time: "The workbook has no worksheet"
    frame, findings = _read(data, limits=Limits(max_seconds_per_file=1e-9))
    assert frame is None and _blocking(findings) == ["file.limit_too_slow"]


def test_what_is_inflated_is_counted_whatever_the_directory_says():
    """Every part read through the bounded archive counts toward the expanded-size limit, so
    reading the same part again (or a part that inflates beyond its declared size) stops at the
    limit, not at the sum the directory declares."""
    data = exp_xlsx(rows=2000)
    limits = Limits(max_xlsx_expanded_mb=1)
    check_zip_directory(data, limits)  # the directory is within the limit
    archive = BoundedArchive(data, limits, Deadline(limits))
    size = archive.getinfo(SHEET).file_size
    with pytest.raises(LimitExceeded) as exc:
        for _ in range(limits.max_xlsx_expanded_bytes // size + 1):
            archive.read(SHEET)
    assert exc.value.what == "xlsx_expanded"
    assert (
        limits.max_xlsx_expanded_bytes < archive.inflated <= limits.max_xlsx_expanded_bytes + 65536
    )


def test_a_50_mb_header_line_is_refused_and_never_stored(inst):
    data = b"lea_id," + b"x" * (50 * 1024 * 1024) + b"\n2500001\n"
    frame, findings = _read(data, "big.csv")
    assert frame is None and _blocking(findings) == ["file.limit_line_too_long"]
    with open_registry(inst) as reg:
        sid = _receive(reg, data, "2500001", "big.csv")
        con = connect(inst)
        try:
            process_collection(con, reg, EXP, load_profile(), AS_OF)
        finally:
            con.close()
        stored = reg.findings(sid)
    assert sum(len(f.text) + sum(map(len, f.sample_values)) for f in stored) < 2_000


def test_long_values_within_limits_are_truncated_in_findings():
    """A 500 KB value in a date column is a type error; its sample is cut to VALUE_CHARS."""
    huge = "9" * 500_000
    data = exp_csv().replace(b"2026-10-15", huge.encode(), 1)
    _, findings = _read(data, "f.csv")
    (bad,) = [f for f in findings if f.column == "obligation_date"]
    assert bad.sample_values and all(len(v) <= VALUE_CHARS for v in bad.sample_values)
    long = Finding(1, "r" * 5000, "blocking", "t" * 10**6, "ref", "c", 1, (2,), ("v" * 10**6,))
    assert len(long.text) <= 1000 and len(long.sample_values[0]) == VALUE_CHARS


def test_a_newline_in_a_value_cannot_forge_a_line_of_a_message():
    f = Finding(1, "x.y", "blocking", "bad", "ref", "c", 1, (2,), ("ok\nError: forged",))
    assert "\n" not in f.message() and "\\n" in f.message()


@pytest.mark.parametrize(
    ("limits", "data", "name", "rule"),
    [
        (Limits(max_file_mb=0.001), exp_csv(rows=50), "f.csv", "file.limit_too_large"),
        (Limits(max_rows=10), exp_csv(rows=11), "f.csv", "file.limit_too_many_rows"),
        (Limits(max_rows=10), exp_xlsx(rows=11), "f.xlsx", "file.limit_too_many_rows"),
        (Limits(max_columns=5), exp_csv(), "f.csv", "file.limit_too_many_columns"),
        (Limits(max_columns=5), exp_xlsx(), "f.xlsx", "file.limit_too_many_columns"),
        (Limits(max_line_kb=0.05), exp_csv(), "f.csv", "file.limit_line_too_long"),
        (Limits(max_xlsx_members=3), exp_xlsx(), "f.xlsx", "file.limit_xlsx_members"),
        (Limits(max_xlsx_expanded_mb=0.01), exp_xlsx(), "f.xlsx", "file.limit_xlsx_expanded"),
        # the deadline is checked inside the read loops: the careful CSV reader, the worksheet
        (Limits(max_seconds_per_file=1e-9), exp_csv() + b"\n\n", "f.csv", "file.limit_too_slow"),
        (Limits(max_seconds_per_file=1e-9), exp_xlsx(), "f.xlsx", "file.limit_too_slow"),
    ],
)
def test_each_limit_rejects_with_its_own_message(limits, data, name, rule):
    assert _read(data, name)[0] is not None  # within the default limits the file reads
    frame, findings = _read(data, name, limits)
    assert frame is None and _blocking(findings) == [rule]
    assert findings[0].text.startswith(("The file", "The workbook", "A line", "A row", "Read"))


def test_the_million_row_allowance_is_the_default():
    assert DEFAULT_LIMITS.max_rows >= 1_000_000
    result = read_table(exp_csv(rows=5), "f.csv", EXP)
    assert result.readable


# --- the profile's limits section ----------------------------------------------------------


def _raw_profile() -> dict:
    import yaml

    from sped.config.profile import DEFAULT_PROFILE

    return yaml.safe_load(DEFAULT_PROFILE.read_text())


def test_the_shipped_profile_states_the_defaults():
    assert load_profile().limits == DEFAULT_LIMITS


def test_limits_from_the_profile_with_safe_defaults_when_absent():
    data = _raw_profile()
    data["limits"] = {"max_rows": 5, "max_file_mb": 1.5}
    profile = parse_profile(data)
    assert profile.limits == dataclasses.replace(DEFAULT_LIMITS, max_rows=5, max_file_mb=1.5)
    del data["limits"]
    assert parse_profile(data).limits == DEFAULT_LIMITS


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"max_rows": 0}, "limits.max_rows must be a positive whole number"),
        ({"max_rows": 2.5}, "limits.max_rows must be a positive whole number"),
        ({"max_file_mb": "big"}, "limits.max_file_mb must be a positive number"),
        ({"max_file_mb": True}, "limits.max_file_mb must be a positive number"),
        ({"max_cells": 3}, "limits.max_cells: no such limit"),
        ([1, 2], "limits must be a mapping"),
    ],
)
def test_a_bad_limit_stops_the_run_naming_it(section, words):
    data = _raw_profile()
    data["limits"] = section
    with pytest.raises(ProfileError, match=words):
        parse_profile(data)


# --- no path is interpolated into SQL --------------------------------------------------------


def test_a_quote_in_the_installation_path_reaches_sql_as_a_parameter(tmp_path):
    """`sped validate` attaches the published snapshot: with the path in an f-string, a folder
    named `it's here` ended in `unterminated string literal`."""
    import duckdb

    from sped.validation.validate_file import _reference_from
    from sped.warehouse.schema import ensure_schemas

    published = tmp_path / "it's here" / "published.duckdb"
    published.parent.mkdir()
    con = duckdb.connect(str(published))
    ensure_schemas(con)
    con.execute("INSERT INTO raw.leas (lea_id) VALUES ('2500001')")
    con.close()
    con = duckdb.connect()
    try:
        ensure_schemas(con)
        assert _reference_from(con, published) == {"2500001"}
    finally:
        con.close()
