"""A worksheet's rows straight from its XML, by expat: what openpyxl's worksheet parser yields,
without its object per cell.

openpyxl builds each inline string through its descriptor machinery (`Text.from_tree`), which
made reading workbooks the costliest part of loading a state's files: a roster workbook of a
thousand rows took about 70 ms. This parser reads the same XML with expat's callbacks and keeps
only what a row needs: for each `row` element its number (its `r`, or one more than the last),
and for each child element its column (its `r`, or one more than the last) and value, decided
exactly as openpyxl's `WorkSheetParser.parse_cell` decides it in read-only, values-only mode
(tests/test_xlsx_rows.py compares the two on workbooks with every kind of cell):

- `t="inlineStr"`: the text of its first `is`: its `t`, then the `t` of each `r` run (phonetic
  runs left out); `t="s"`: the shared string at its `v`; `t="b"`: a boolean;
  `t="str"`, `t="e"`: the text of `v` as it is; `t="d"`: an ISO 8601 date and time;
- a number (`t="n"` or none): an int, or a float when it has a point or an exponent; in a cell
  whose style is a date (or duration) format, the date (or duration) that serial is in the
  workbook's date system (openpyxl's own `from_excel`), or `#VALUE!` when out of range;
- an empty `v` is no value.

Formulas are ignored (their cached value is the value). Entity declarations are refused, as
defusedxml refuses them for openpyxl; a damaged XML stream raises `ParseError`, as
ElementTree's does.

Most worksheets are plain: written by a spreadsheet program, every cell with its reference and
its attributes in the usual order, no entity, comment or rich text. A worksheet of at most
FAST_MAX bytes that expat reads without error (with no Python callback, at C speed) and whose
rows are plain is read by one regular expression over its rows instead (`_plain_rows`): the same
rows, at less than half the cost (a roster workbook of 650 rows, 35 ms -> 14 ms). Any
worksheet that is not, or whose rows cannot be read so, is read by the callbacks, which decide
what it gives or raises (tests/test_xlsx_rows.py compares the two on every kind of cell).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SEP = "}"
ROW, VALUE, INLINE, TEXT, RUN = (f"{MAIN}{_SEP}{t}" for t in ("row", "v", "is", "t", "r"))
CHUNK = 1 << 20

Cell = tuple[int, Any]  # (column, value)


_COLUMNS: dict[str, int] = {}


def _column(coordinate: str) -> int:
    """The column of a cell reference such as `B12`, with the errors openpyxl's
    `coordinate_to_tuple` raises for a bad one (ValueError), its letters looked up once."""
    letters = coordinate.rstrip("0123456789")
    int(coordinate[len(letters) :])  # a reference without its row number is damage
    column = _COLUMNS.get(letters)
    if column is None:
        column = _COLUMNS[letters] = column_index_from_string(letters)
    return column


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if value.is_integer():
            return int(value)
        raise ValueError(f"{text} is not a valid row number") from None


def _value(book, kind: str, style: int, text: str | None, inline: str | None) -> Any:
    """A cell's value, as openpyxl's `parse_cell` decides it, from its type (`t`), its style
    (`s`), the text of its first `v` and of its first `is` (None when it has none). `book`:
    the shared strings, the date and duration styles and the epoch."""
    value: Any = None
    if kind != "inlineStr":
        value = text or None
    if value is not None:
        if kind == "n":
            value = _number(value)
            if style in book.dates:
                try:
                    value = from_excel(value, book.epoch, timedelta=style in book.durations)
                except (OverflowError, ValueError):
                    value = "#VALUE!"
        elif kind == "s":
            value = book.shared[int(value)]
        elif kind == "b":
            value = bool(int(value))
        elif kind == "d":
            value = from_ISO8601(value)
    elif kind == "inlineStr" and inline is not None:
        value = inline
    return value


class _SheetParser:
    """expat callbacks that collect each finished row as (number, [(column, value), ...])."""

    def __init__(
        self,
        shared: list[str],
        date_styles: set[int],
        duration_styles: set[int],
        epoch: dt.datetime,
    ):
        self.shared, self.dates, self.durations, self.epoch = (
            shared, date_styles, duration_styles, epoch
        )  # fmt: skip
        self.done: list[tuple[int, list[Cell]]] = []
        self.depth = 0
        self.row_depth = -1  # depth of the open row element, -1 when none is open
        self.row_counter = 0
        self.col_counter = 0
        self.cells: list[Cell] = []
        self.cell: dict | None = None  # attributes of the open cell
        self.capture: list[str] | None = None  # where character data goes now
        self.value: list[str] | None = None  # text of the cell's first v
        self.inline: list[str] | None = None  # texts of the cell's first is
        self.in_inline = False
        self.run_depth = -1
        self.parser = expat.ParserCreate(namespace_separator=_SEP)
        self.parser.buffer_text = True
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.EntityDeclHandler = self.forbidden
        self.parser.ExternalEntityRefHandler = self.forbidden

    @staticmethod
    def forbidden(*_args) -> None:
        raise ValueError("entity declarations are not allowed in a workbook")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        depth = self.depth
        if self.row_depth < 0:
            if name == ROW:
                self.row_depth = depth
                if "r" in attrs:
                    self.row_counter = _row_number(attrs["r"])
                else:
                    self.row_counter += 1
                self.col_counter = 0
                self.cells = []
            return
        if depth == self.row_depth + 1:  # a cell (openpyxl reads every child as one)
            self.cell = attrs
            self.value = self.inline = None
            return
        if self.cell is None:
            return
        if depth == self.row_depth + 2:
            if name == VALUE and self.value is None:
                self.value = []
                self.capture = self.value
            elif name == INLINE and self.inline is None:
                self.inline = []
                self.in_inline = True
        elif self.in_inline and depth == self.row_depth + 3:
            if name == TEXT:
                self.capture = self.inline
            elif name == RUN:
                self.run_depth = depth
        elif self.run_depth > 0 and depth == self.run_depth + 1 and name == TEXT:
            self.capture = self.inline

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth -= 1
        self.capture = None
        if self.row_depth < 0:
            return
        if depth == self.row_depth:
            self.done.append((self.row_counter, self.cells))
            self.row_depth = -1
        elif depth == self.row_depth + 1 and self.cell is not None:
            self.cells.append(self._finish(self.cell))
            self.cell = None
        elif depth == self.row_depth + 2 and name == INLINE:
            self.in_inline = False
        elif depth == self.run_depth:
            self.run_depth = -1

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.append(data)

    def _finish(self, attrs: dict[str, str]) -> Cell:
        """The cell's column and value, as openpyxl's parse_cell decides them."""
        style = attrs.get("s", 0)
        if style:
            style = int(style)
        coordinate = attrs.get("r")
        if coordinate:
            column = self.col_counter = _column(coordinate)
        else:
            self.col_counter += 1
            column = self.col_counter
        text = "".join(self.value) if self.value is not None else None
        inline = "".join(self.inline) if self.inline is not None else None
        return column, _value(self, attrs.get("t", "n"), style, text, inline)

    def feed(self, data: bytes, final: bool = False) -> list[tuple[int, list[Cell]]]:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise ParseError(str(exc)) from None
        done, self.done = self.done, []
        return done


def sheet_rows(
    source,
    shared: list[str],
    date_styles: set[int],
    duration_styles: set[int],
    epoch: dt.datetime,
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, [(column, value), ...]) of every row of the worksheet XML read from
    `source` (a binary stream: the guarded worksheet), as openpyxl's parser yields them.

    A worksheet of at most FAST_MAX bytes is read whole, and when expat finds it well formed
    and its rows are plain (`_plain_rows`), they are taken by regular expressions instead of
    a Python callback per XML element; any other worksheet goes through expat's callbacks
    chunk by chunk, as before."""
    chunks: list[bytes] = []
    size = 0
    while size <= FAST_MAX:
        chunk = source.read(CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    else:  # too large to be held whole: every chunk read so far, then the rest
        yield from _parsed(_chain(chunks, source), shared, date_styles, duration_styles, epoch)
        return
    rows = _plain_rows(b"".join(chunks), shared, date_styles, duration_styles, epoch)
    if rows is not None:
        yield from rows
        return
    yield from _parsed(iter(chunks), shared, date_styles, duration_styles, epoch)


def _chain(chunks: list[bytes], source) -> Iterator[bytes]:
    yield from chunks
    chunks.clear()
    while chunk := source.read(CHUNK):
        yield chunk


def _parsed(chunks, shared, date_styles, duration_styles, epoch):
    """Rows by expat's callbacks, fed `chunks` one after another, then the end."""
    parser = _SheetParser(shared, date_styles, duration_styles, epoch)
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.feed(b"", final=True)


# --- plain worksheets, read by regular expressions --------------------------------------------

#: The largest worksheet XML read whole (and so eligible for the regular expressions): a
#: district's roster of 5,000 rows is about 4 MB. Its rows and tokens are held at once, about
#: eight times its size at worst (a sheet of empty rows).
FAST_MAX = 8 * 2**20

#: The tokens of a plain worksheet's rows, as spreadsheet programs write them: a row's start
#: (its `r` first) or end; a cell with its `r`, then `s` and `t` if it has them, in that order,
#: holding nothing, a `v` (after a formula, which is ignored) or an inline string of one `t`.
_TOKEN = re.compile(
    rb'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="([a-zA-Z]+)")?'
    rb" ?(?:/>|>(?:(?:<f>[^<]*</f>)?(<v>)([^<]*)</v>"
    rb'|(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
    rb'|<row r="(\d+)"(?: [^<>/]*)?(/?)>|(</row>)'
    rb"|([^ \t\n])"  # anything else: the rows are not plain
)
#: What makes a worksheet's rows not plain: entities or character references, comments,
#: CDATA, processing instructions, carriage returns (XML changes them) and namespace
#: declarations inside the rows.
_NOT_PLAIN = (b"&", b"\r", b"<!", b"<?", b"xmlns")
_DEFAULT_NS = re.compile(rb"""xmlns[ \t\n]*=[ \t\n]*(["'])([^"']*)\1""")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_ROOT = re.compile(rb"<[A-Za-z_]")
_UTF8_DECLARATION = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml[^>]*?encoding[ \t\n]*=[ \t\n]*[\"']utf-8[\"'][^>]*\?>"
    rb"|<\?xml(?:(?!encoding)[^>])*\?>|[ \t\n]*<[A-Za-z_])",
    re.IGNORECASE,
)


def _well_formed(data: bytes) -> bool:
    """Whether expat reads `data` as a whole document without error (entity declarations
    refused), with no Python callback per element."""
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _SheetParser.forbidden
    parser.ExternalEntityRefHandler = _SheetParser.forbidden
    try:
        parser.Parse(data, True)
    except Exception:  # damaged, or refused: the callbacks decide what is raised
        return False
    return True


#: Columns by their letters as bytes (`_column`'s cache is by text).
_COLUMN_BYTES: dict[bytes, int] = {}


class _Book:
    """What a cell's value depends on beyond itself (see `_value`)."""

    def __init__(self, shared, dates, durations, epoch) -> None:
        self.shared, self.dates, self.durations, self.epoch = shared, dates, durations, epoch


def _plain_rows(
    data: bytes,
    shared: list[str],
    date_styles: set[int],
    duration_styles: set[int],
    epoch: dt.datetime,
) -> list[tuple[int, list[Cell]]] | None:
    """The rows of a whole worksheet, exactly as `_SheetParser` gives them, or None when the
    worksheet is not plain: not UTF-8, not well formed, a document type, rows outside one
    `<sheetData>` in the main namespace, anything in them but `_TOKEN`s and spaces, or
    anything `_NOT_PLAIN` names. None also when a row or cell cannot be read: the callbacks
    then raise what they raise, where they raise it."""
    if not _UTF8_DECLARATION.match(data):
        return None
    start = data.find(b"<sheetData")
    if start < 0 or data.find(b"<sheetData", start + 1) >= 0:
        return None
    if data.startswith(b"<sheetData/>", start):
        body_start = body_end = end = start + len(b"<sheetData/>")
    elif data.startswith(b"<sheetData>", start):
        body_start = start + len(b"<sheetData>")
        body_end = data.find(b"</sheetData>", body_start)
        if body_end < 0:
            return None
        end = body_end + len(b"</sheetData>")
    else:
        return None
    head, body, tail = data[:start], data[body_start:body_end], data[end:]
    spaces = list(_DEFAULT_NS.finditer(head))
    root = _ROOT.search(head)  # the first element: its start tag must declare the namespace
    if (
        root is None
        or [m.group(2) for m in spaces] != [MAIN.encode()]
        or not root.start() < spaces[0].start() < head.find(b">", root.start())
        or b"<!" in head  # a document type may give attributes defaults
    ):
        return None
    if _ROW_TAG.search(head) or _ROW_TAG.search(tail) or any(n in body for n in _NOT_PLAIN):
        return None
    if not _well_formed(data):
        return None
    try:
        return _rows_of(_TOKEN.findall(body), _Book(shared, date_styles, duration_styles, epoch))
    except Exception:  # the callbacks raise it, where they meet it
        return None


def _rows_of(tokens: list[tuple], book: _Book) -> list[tuple[int, list[Cell]]] | None:
    """The rows of a plain `sheetData`'s tokens, or None when they are not rows of cells."""
    done: list[tuple[int, list[Cell]]] = []
    cells: list[Cell] | None = None
    number = 0
    columns = _COLUMN_BYTES
    plain_numbers = 0 not in book.dates  # a cell of style 0 holds a number, not a date
    for letters, style, kind, v, text, is_, inline, row, empty, row_end, other in tokens:
        if other:
            return None
        if row:
            if cells is not None:
                return None
            number = int(row)
            if empty:
                done.append((number, []))
            else:
                cells = []
        elif row_end:
            if cells is None:
                return None
            done.append((number, cells))
            cells = None
        else:
            if cells is None:
                return None
            column = columns.get(letters)
            if column is None:
                column = columns[letters] = _column(letters.decode() + "1")
            if kind == b"inlineStr":  # the common kinds decided here as `_value` decides them
                value = inline.decode() if is_ else None
            elif not kind and not style and plain_numbers:
                value = _number(text.decode()) if text else None
            else:
                value = _value(
                    book,
                    kind.decode() if kind else "n",
                    int(style) if style else 0,
                    text.decode() if v else None,
                    inline.decode() if is_ else None,
                )
            cells.append((column, value))
    return None if cells is not None else done
