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
"""

from __future__ import annotations

import datetime as dt
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
        kind = attrs.get("t", "n")
        style = attrs.get("s", 0)
        if style:
            style = int(style)
        coordinate = attrs.get("r")
        if coordinate:
            column = self.col_counter = _column(coordinate)
        else:
            self.col_counter += 1
            column = self.col_counter
        value: Any = None
        if kind != "inlineStr":
            value = "".join(self.value) if self.value is not None else None
            value = value or None
        if value is not None:
            if kind == "n":
                value = _number(value)
                if style in self.dates:
                    try:
                        value = from_excel(value, self.epoch, timedelta=style in self.durations)
                    except (OverflowError, ValueError):
                        value = "#VALUE!"
            elif kind == "s":
                value = self.shared[int(value)]
            elif kind == "b":
                value = bool(int(value))
            elif kind == "d":
                value = from_ISO8601(value)
        elif kind == "inlineStr" and self.inline is not None:
            value = "".join(self.inline)
        return column, value

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
    `source` (a binary stream: the guarded worksheet), as openpyxl's parser yields them."""
    parser = _SheetParser(shared, date_styles, duration_styles, epoch)
    while True:
        chunk = source.read(CHUNK)
        yield from parser.feed(chunk, final=not chunk)
        if not chunk:
            return
