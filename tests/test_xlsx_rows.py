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
    monkeypatch.setattr(xlsx_rows, "FAST_MAX", 7 * 5)  # held whole only up to five chunks
    data = _book(EVERY_KIND)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert len(z.read(SHEET)) > 7 * 10
    _same(data)


# --- plain worksheets read by regular expressions (xlsx_rows._plain_rows) ---------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{MAIN_NS}" xmlns:x14ac="http://schemas.microsoft.com/office/'
    'spreadsheetml/2009/9/ac"><dimension ref="A1:F3"/><sheetData>'
)
TAIL = '</sheetData><pageMargins left="0.7" right="0.7"/></worksheet>'
SHARED = ["lea_id", "ÄÖ text", "  spaced  "]
DATES, DURATIONS = {3, 4}, {4}
EPOCH = dt.datetime(1899, 12, 30)

#: Cells as spreadsheet programs write them: all plain.
PLAIN_CELLS = [
    '<c r="{c}" s="1" t="s"><v>0</v></c>',
    '<c r="{c}" t="s"><v>1</v></c>',
    '<c r="{c}" t="s"><v>2</v></c>',
    '<c r="{c}"><v>42</v></c>',
    '<c r="{c}" s="2"><v>-1.5E3</v></c>',
    '<c r="{c}" s="3"><v>45500</v></c>',  # a date style
    '<c r="{c}" s="4"><v>1.25</v></c>',  # a duration style
    '<c r="{c}" s="3"><v>2958466</v></c>',  # beyond the dates: #VALUE!
    '<c r="{c}" t="b"><v>1</v></c>',
    '<c r="{c}" t="str"><f>A1+B1</f><v>joined</v></c>',
    '<c r="{c}"><f>1+1</f><v>2</v></c>',
    '<c r="{c}" t="e"><v>#N/A</v></c>',
    '<c r="{c}" t="d"><v>2024-01-02T03:04:05</v></c>',
    '<c r="{c}" t="inlineStr"><is><t>inline é</t></is></c>',
    '<c r="{c}" t="inlineStr"><is><t xml:space="preserve"> keep </t></is></c>',
    '<c r="{c}" t="inlineStr"><is><t></t></is></c>',
    '<c r="{c}" s="1"/>',
    '<c r="{c}"><v></v></c>',
    '<c r="{c}" t="n"><v>7</v></c>',
    '<c r="{c}" t="inlineStr" />',
]
#: Cells that are not plain: the callbacks read them.
OTHER_CELLS = [
    '<c r="{c}" t="inlineStr"><is><r><t>run </t></r><r><t>two</t></r></is></c>',
    '<c r="{c}" t="inlineStr"><is><t>a &amp; b</t></is></c>',
    '<c r="{c}" t="inlineStr"><is><t><![CDATA[x<y]]></t></is></c>',
    '<c r="{c}" t="s" s="1"><v>0</v></c>',  # t before s
    "<c><v>5</v></c>",  # no reference
    '<c r="{c}"><v/></c>',
    '<c r="{c}" cm="1"><v>3</v></c>',
    '<c r="{c}"><v>1</v><!-- a comment --></c>',
    '<c r="{c}">\n  <v>8</v>\n</c>',
    '<c r="{c}"><v>9</v><extLst/></c>',
]


#: A document type that gives every cell a type: expat applies it, the expressions would not.
DOCTYPE = '<!DOCTYPE w [<!ATTLIST c t CDATA "s">]>'


def _sheet(rows: list[list[str]], *, head: str = HEAD, tail: str = TAIL, row_attrs=None) -> bytes:
    out = []
    for n, cells in enumerate(rows, 1):
        attrs = (row_attrs or ' spans="1:6" x14ac:dyDescent="0.25"') if n % 2 else ""
        body = "".join(c.format(c=f"{openpyxl.utils.get_column_letter(i)}{n}")
                       for i, c in enumerate(cells, 1))  # fmt: skip
        out.append(f'<row r="{n}"{attrs}>{body}</row>' if cells else f'<row r="{n}"{attrs}/>')
    return (head + "\n".join(out) + tail).encode()


def _both(data: bytes):
    """(what the regular expressions give, or None; what the callbacks give, or the error)."""
    from sped.ingest import xlsx_rows

    fast = xlsx_rows._plain_rows(data, SHARED, DATES, DURATIONS, EPOCH)
    try:
        slow = list(xlsx_rows._parsed(iter([data]), SHARED, DATES, DURATIONS, EPOCH))
    except Exception as exc:  # what sheet_rows raises too
        slow = (type(exc), str(exc))
    via = io.BytesIO(data)
    try:
        whole = list(xlsx_rows.sheet_rows(via, SHARED, DATES, DURATIONS, EPOCH))
    except Exception as exc:
        whole = (type(exc), str(exc))
    assert whole == slow  # whichever way sheet_rows took
    return fast, slow


def _typed(rows):
    return [(n, [(c, type(v), v) for c, v in cells]) for n, cells in rows]


def test_plain_sheets_are_read_by_regular_expressions_exactly_as_by_the_callbacks():
    rows = [PLAIN_CELLS[i : i + 6] for i in range(0, len(PLAIN_CELLS), 6)] + [[]]
    fast, slow = _both(_sheet(rows))
    assert fast is not None, "a plain sheet went through the callbacks"
    assert _typed(fast) == _typed(slow)
    values = {v for _n, cells in fast for _c, v in cells}
    assert {"lea_id", "#VALUE!", " keep ", 42, True} <= values
    # openpyxl writes plain sheets: the bench's workbooks take the regular expressions
    data = _book(EVERY_KIND)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert _both(z.read(SHEET))[0] is not None


@pytest.mark.parametrize("cell", OTHER_CELLS)
def test_a_cell_that_is_not_plain_sends_the_sheet_to_the_callbacks(cell):
    fast, slow = _both(_sheet([[PLAIN_CELLS[0], cell, PLAIN_CELLS[3]]]))
    assert fast is None and not isinstance(slow, tuple)


@pytest.mark.parametrize(
    "data",
    [
        _sheet([[PLAIN_CELLS[3]]], head=HEAD.replace("UTF-8", "ISO-8859-1")),
        _sheet(
            [[PLAIN_CELLS[3]]], head=HEAD.replace("\n<worksheet", "\n" + DOCTYPE + "<worksheet")
        ),
        _sheet([[PLAIN_CELLS[3]]], head=HEAD.replace("<sheetData>", '<sheetData x="1">')),
        _sheet([[PLAIN_CELLS[3]]], head=HEAD.replace(f'xmlns="{MAIN_NS}"', 'xmlns="urn:other"')),
        _sheet(  # the main namespace declared on an element before the rows, not on the root
            [[PLAIN_CELLS[3]]],
            head=HEAD.replace(
                f'<worksheet xmlns="{MAIN_NS}"', f'<x:worksheet xmlns:x="{MAIN_NS}"'
            ).replace("<dimension", f'<dimension xmlns="{MAIN_NS}"'),
            tail="</sheetData></x:worksheet>",
        ),
        _sheet([[PLAIN_CELLS[3]]], tail='</sheetData><row r="9"/></worksheet>'),
        _sheet([[PLAIN_CELLS[3]]], row_attrs=' r2="x/y"'),
        _sheet([[PLAIN_CELLS[3]]]).replace(b"<v>42", b"<v>4\r2"),
        _sheet([[PLAIN_CELLS[3]], [PLAIN_CELLS[3]]]).replace(b"</row>", b"", 1),  # damaged
        _sheet([[PLAIN_CELLS[3]]]).replace(b"</worksheet>", b""),  # truncated after the rows
        _sheet([['<c r="{c}" t="s"><v>99</v></c>']]),  # no such shared string
        _sheet([[PLAIN_CELLS[3]]]).replace(b'r="1"', b'r="1" r="2"', 1),  # duplicate attribute
        _sheet([[PLAIN_CELLS[3]]]).replace(b"<v>42", b"<v>4\x012"),  # not an XML character
    ],
)
def test_sheets_that_are_not_plain_or_not_sound_are_left_to_the_callbacks(data):
    fast, _slow = _both(data)
    assert fast is None


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.lists(st.sampled_from(PLAIN_CELLS + OTHER_CELLS), max_size=7), min_size=1, max_size=8
    ),
    st.booleans(),
)
def test_any_mix_of_cells_reads_as_the_callbacks_read_it(rows, spaced):
    data = _sheet(rows)
    if spaced:
        data = data.replace(b"><row", b">\n  <row")
    fast, slow = _both(data)
    plain = all(c in PLAIN_CELLS for row in rows for c in row)
    assert (fast is not None) == plain
    if fast is not None:
        assert _typed(fast) == _typed(slow)
