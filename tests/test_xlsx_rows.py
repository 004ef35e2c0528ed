"""The worksheet parser (sped/ingest/xlsx_rows.py) reads every cell as openpyxl reads it: its
public `load_workbook(data_only=True)` is the reference, on workbooks openpyxl writes (every
kind of value, both date systems, gaps, rich text, random cells) and on XML written by hand
(cells and rows without references, `str`, `d` and error cells, phonetic runs, empty values)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from sped.ingest.limits import DEFAULT_LIMITS
from sped.ingest.read import _cell_text, read_table
from tests.hostile_files import EXP, SHEET, rewrite


def _reference(data: bytes) -> dict[tuple[int, int], object]:
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    ws = wb[wb.sheetnames[0]]
    return {
        (c.row, c.column): c.value
        for row in ws.iter_rows()
        for c in row
        if c.value not in (None, "")
    }


def _ours(data: bytes) -> dict[tuple[int, int], object]:
    """The parser's cells, through the reader's own opening of the workbook."""
    from sped.ingest.limits import Deadline
    from sped.ingest.read import _open_workbook
    from sped.ingest.xlsx_rows import sheet_rows

    wb = _open_workbook(data, DEFAULT_LIMITS, Deadline(DEFAULT_LIMITS))
    ws = wb[wb.sheetnames[0]]
    with ws._get_source() as source:
        rows = sheet_rows(
            source, ws._shared_strings, wb._date_formats, wb._timedelta_formats, wb.epoch
        )
        return {
            (number, column): value
            for number, cells in rows
            for column, value in cells
            if value not in (None, "")
        }


def _same(data: bytes) -> None:
    ours, theirs = _ours(data), _reference(data)
    assert {k: _cell_text(v) for k, v in ours.items()} == {
        k: _cell_text(v) for k, v in theirs.items()
    }
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in theirs.items()}


def _book(rows: list[list[object]], *, mac: bool = False, formats: dict | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if mac:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                cell = ws.cell(r, c, value)
                if formats and c in formats:
                    cell.number_format = formats[c]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


EVERY_KIND = [
    ["text", "  spaced  ", "0042", "x005F_y", "", "é ünïcode"],
    [1, 2.5, -3, 1e20, 0.1, 12345678901234],
    [dt.date(2024, 9, 1), dt.datetime(2024, 9, 1, 13, 30), dt.time(12, 0), dt.timedelta(days=2)],
    [True, False, "#N/A", None, "after a gap"],
    [None, None, None, None, None, None, None, None, None, None, "far column"],
]


@pytest.mark.parametrize("mac", [False, True])
def test_every_kind_of_value_reads_as_openpyxl_reads_it(mac):
    _same(_book(EVERY_KIND, mac=mac))


def test_numbers_in_date_and_duration_formats():
    rows = [[45500, 45500.5, 1.25, 30, 0.5], [59, 60, 61, 0, 2958466]]
    formats = {1: "yyyy-mm-dd", 2: "yyyy-mm-dd h:mm", 3: "[h]:mm:ss", 4: "mm/dd/yy", 5: "h:mm"}
    _same(_book(rows, formats=formats))


def test_rich_text_and_written_only_inline_strings():
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    rich = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " end"])
    ws.append(["a", rich, 3])
    out = io.BytesIO()
    wb.save(out)
    _same(out.getvalue())


HAND_MADE = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row><c t="inlineStr"><is><t>no refs</t></is></c><c><v>7</v></c><c t="str"><v>formula'
    "</v></c></row>"
    '<row r="5"><c r="B5" t="e"><v>#DIV/0!</v></c><c t="d"><v>2024-01-02T03:04:05</v></c>'
    '<c r="F5" t="inlineStr"><is><r><t>run </t></r><r><t>two</t></r>'
    '<rPh sb="0" eb="3"><t>kana</t></rPh></is></c>'
    '<c><v></v></c><c t="b"><v>1</v></c><c><f>1+1</f><v>2</v></c></row>'
    '<row r="6"><c r="A6" t="inlineStr"><is><t xml:space="preserve"> keep </t></is></c>'
    '<c r="C6"/></row><row><c><v>1.5E3</v></c></row>'
    "</sheetData></worksheet>"
)


def test_hand_written_sheet_xml():
    data = rewrite(_book([["x"]]), {SHEET: HAND_MADE.encode()})
    _same(data)
    assert _ours(data)[(5, 6)] == "run two"  # the phonetic run is not text


def test_entity_declarations_are_refused_as_a_damaged_workbook():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>'
    )
    data = rewrite(_book([["x"]]), {SHEET: bomb.encode()})
    result = read_table(data, "f.xlsx", EXP, 1)
    assert result.table is None
    assert any(f.rule_id.endswith(".file.damaged") for f in result.findings)


CELLS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(dt.date(1901, 1, 1), dt.date(2100, 1, 1)),
)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(CELLS, max_size=6), min_size=1, max_size=6))
def test_random_cells_read_as_openpyxl_reads_them(rows):
    _same(_book(rows))


def test_the_sheet_is_zipped_xml_the_parser_reads_in_chunks(monkeypatch):
    """Rows split across the chunks the parser is fed come out whole."""
    from sped.ingest import xlsx_rows

    monkeypatch.setattr(xlsx_rows, "CHUNK", 7)
    data = _book(EVERY_KIND)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert len(z.read(SHEET)) > 7 * 10
    _same(data)
