"""Reading a submitted file into a table of text, before any typing.

Every problem a district can cause here (wrong encoding, wrong delimiter, binary data, an empty
file, duplicated or missing headers, XLSX quirks) becomes a `Finding` in plain words rather than
an exception. Values stay text: typing is `sped.ingest.typing`'s job, so leading zeros survive.
Header names are matched case-insensitively after trimming (docs/rules/contracts.md, conventions).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import polars as pl

from sped.contracts import Collection
from sped.contracts.findings import Finding, clip
from sped.ingest.limits import (
    DEFAULT_LIMITS,
    BoundedArchive,
    Deadline,
    GuardedStream,
    LimitExceeded,
    Limits,
    check_columns,
    check_line_length,
    check_rows,
    check_size,
    check_zip_directory,
)
from sped.ingest.xlsx_rows import sheet_rows

CONVENTIONS = "docs/rules/contracts.md, conventions for every collection"
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class ReadResult:
    """Text table of a file (None when it could not be read) and what was found reading it."""

    table: pl.DataFrame | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.table is not None and not any(f.blocking for f in self.findings)


def limit_finding(exc: LimitExceeded, collection: Collection, sid: int = 0) -> Finding:
    """The blocking finding of a file beyond one of the limits."""
    return _finding(sid, collection, f"limit_{exc.what}", "blocking", exc.text)


def _finding(
    sid: int,
    collection: Collection,
    what: str,
    severity: str,
    text: str,
    column: str | None = None,
    values: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        submission_id=sid,
        rule_id=f"{collection.name}.file.{what}",
        severity=severity,
        text=text,
        reference=CONVENTIONS,
        column=column,
        failed_count=0,
        sample_values=values,
    )


def _decode(data: bytes, sid: int, collection: Collection) -> tuple[str | None, list[Finding]]:
    """Text of a CSV: UTF-8 (BOM allowed); UTF-16 and Windows-1252 are read with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), [
                _finding(
                    sid,
                    collection,
                    "encoding",
                    "warning",
                    "The file is saved as UTF-16; it was read, but please save CSV files as UTF-8.",
                )
            ]
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        return None, [
            _finding(
                sid,
                collection,
                "not_text",
                "blocking",
                "The file is not a text CSV file (it contains binary data). Export the data as CSV "
                "(UTF-8, comma-separated) or XLSX and send it again.",
            )
        ]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None, [
            _finding(
                sid,
                collection,
                "encoding",
                "blocking",
                "The file's characters cannot be read. Save it as CSV UTF-8 and send it again.",
            )
        ]
    return text, [
        _finding(
            sid,
            collection,
            "encoding",
            "warning",
            "The file is not UTF-8; it was read as Windows-1252 (Excel's default). Please save CSV "
            "files as 'CSV UTF-8'.",
        )
    ]


def _rows_from_csv(text: str, limits: Limits, deadline: Deadline) -> list[list[str]]:
    """Every row, by the careful reader; stops at the row, width and time limits."""
    rows: list[list[str]] = []
    # a value may be as long as a line may be (the module-wide default is 128 KiB)
    csv.field_size_limit(max(limits.max_line_bytes, 131072))
    for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=False)):
        if n % 1000 == 0:
            deadline.check()
        if len(row) > limits.max_columns:
            check_columns(len(row), limits)
        rows.append(row)
        if len(rows) > limits.max_rows + 1:
            check_rows(len(rows) - 1, limits)
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: What a damaged workbook raises while it is opened or read: a truncated or malformed XML
#: part (ParseError), a corrupt compressed stream (zlib.error, EOFError), a broken zip
#: (BadZipFile), a missing part (KeyError), a value openpyxl cannot make sense of (ValueError,
#: TypeError, IndexError), or a read error (OSError).
DAMAGED_WORKBOOK = (
    ParseError,
    zlib.error,
    EOFError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
)


def damaged_workbook_text(exc: BaseException) -> str:
    """What a clerk is told about a workbook that cannot be read; the parser's own words say
    where (line, column) but never quote the file's content."""
    detail = "zlib.error" if isinstance(exc, zlib.error) else type(exc).__name__
    if isinstance(exc, ParseError | zlib.error | zipfile.BadZipFile | EOFError):
        detail += f": {clip(str(exc), 120)}"
    return (
        f"The workbook is damaged and cannot be read ({detail}). Open it in Excel, save it "
        "again as .xlsx (or export it as CSV UTF-8) and send it again."
    )


@functools.cache
def _guarded_classes():
    """openpyxl's read-only reader, changed in three ways (its pinned internals; the tests of
    hostile workbooks fail loudly if they change): every part is read through
    `BoundedArchive` (counted, timed), a worksheet's XML through `GuardedStream`, and the
    dimension a sheet claims is never read. openpyxl reads it by parsing the sheet up to its
    <dimension> tag, i.e. the whole sheet when there is none, and then pads every row to the
    claimed width (A1:XFD1048576: 16,384 cells a row)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class GuardedSheet(ReadOnlyWorksheet):
        guard: tuple[Limits, Deadline]

        def _get_size(self) -> None:  # rows come as they are, never padded
            return None

        def _get_source(self):
            return GuardedStream(self.parent._archive.open(self._worksheet_path), *self.guard)

    class GuardedReader(ExcelReader):
        guard: tuple[Limits, Deadline]

        def __init__(self, data: bytes, limits: Limits, deadline: Deadline):
            super().__init__(io.BytesIO(data), read_only=True, data_only=True)
            self.archive.close()  # every part is read through the bounded archive instead
            self.archive = BoundedArchive(data, limits, deadline)
            self.guard = (limits, deadline)

        def read_worksheets(self) -> None:  # worksheets only: no chart sheets, no drawings
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = GuardedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.guard = self.guard
                self.wb._sheets.append(ws)

    return GuardedReader


def _open_workbook(data: bytes, limits: Limits, deadline: Deadline):
    """The workbook in `data`, read-only, values not formulas, its sheets guarded."""
    reader = _guarded_classes()(data, limits, deadline)
    reader.read()
    return reader.wb


def _rows_from_xlsx(
    data: bytes, sid: int, collection: Collection, limits: Limits, deadline: Deadline
):
    findings: list[Finding] = []
    try:
        check_zip_directory(data, limits)
        wb = _open_workbook(data, limits, deadline)
    except zipfile.BadZipFile as exc:
        return None, [
            _finding(
                sid,
                collection,
                "not_xlsx",
                "blocking",
                f"The file cannot be opened as an Excel workbook ({clip(str(exc), 120)}).",
            )
        ]
    except DAMAGED_WORKBOOK as exc:
        return None, [_finding(sid, collection, "damaged", "blocking", damaged_workbook_text(exc))]
    try:
        sheets = wb.sheetnames
        if not sheets:
            return None, [
                _finding(sid, collection, "empty", "blocking", "The workbook has no worksheet.")
            ]
        if len(sheets) > 1:
            findings.append(
                _finding(
                    sid,
                    collection,
                    "extra_sheets",
                    "warning",
                    f"The workbook has {len(sheets)} sheets; only the first "
                    f"({clip(sheets[0], 60)!r}) was read.",
                    values=tuple(clip(s, 60) for s in sheets[1:6]),
                )
            )
        numbered = list(_sheet_rows(wb, wb[sheets[0]], limits, deadline))
    except LimitExceeded:
        raise
    except DAMAGED_WORKBOOK as exc:
        findings.append(
            _finding(sid, collection, "damaged", "blocking", damaged_workbook_text(exc))
        )
        return None, findings
    finally:
        wb.close()
    return numbered, findings


def _sheet_rows(wb, ws, limits: Limits, deadline: Deadline):
    """(row number, cell texts) of every row with a value, straight from the worksheet's
    guarded XML (sped/ingest/xlsx_rows.py: cells as openpyxl's parser reads them): a gap of a
    million empty rows costs nothing, and the checks of width, length and count come before a
    row is kept."""
    line_limit = limits.max_line_bytes
    kept = 0
    with ws._get_source() as source:
        rows = sheet_rows(
            source, ws._shared_strings, wb._date_formats, wb._timedelta_formats, wb.epoch
        )
        for n, (number, cells) in enumerate(rows):
            if n % 1000 == 0:
                deadline.check()
            values = {column: value for column, value in cells if value not in (None, "")}
            if not values:
                continue
            width = max(values)
            check_columns(width, limits)
            row = [""] * width
            for column, value in values.items():
                row[column - 1] = _cell_text(value)
            if sum(map(len, row)) > line_limit:
                raise LimitExceeded(
                    "line_too_long",
                    f"Row {number} of the worksheet holds more than {line_limit:,} characters; "
                    "it cannot be a row of this collection.",
                )
            kept += 1
            check_rows(kept - 1, limits)
            yield number, row


def read_table(
    data: bytes, name: str, collection: Collection, sid: int = 0, limits: Limits | None = None
) -> ReadResult:
    """Read `data` (a CSV or XLSX file called `name`) into a text table with contract headers.

    The table holds one column per contract column found in the header (renamed to the
    contract's spelling), plus `_source_row`: the row number as a spreadsheet shows it
    (header = row 1). Missing required headers, unreadable files and files beyond `limits`
    (default `DEFAULT_LIMITS`) are blocking findings.
    """
    limits = limits or DEFAULT_LIMITS
    try:
        return _read_table(data, name, collection, sid, limits, Deadline(limits))
    except LimitExceeded as exc:
        return ReadResult(None, [limit_finding(exc, collection, sid)])


def _read_table(
    data: bytes, name: str, collection: Collection, sid: int, limits: Limits, deadline: Deadline
) -> ReadResult:
    findings: list[Finding] = []
    check_size(len(data), limits)
    if not data.strip():
        return ReadResult(
            None,
            [
                _finding(
                    sid,
                    collection,
                    "empty",
                    "blocking",
                    "The file is empty: there is no header row and no data.",
                )
            ],
        )
    if data.startswith(XLSX_MAGIC) or name.lower().endswith(".xlsx"):
        if not data.startswith(XLSX_MAGIC):
            return ReadResult(
                None,
                [
                    _finding(
                        sid,
                        collection,
                        "not_xlsx",
                        "blocking",
                        "The file is named .xlsx but is not an Excel workbook.",
                    )
                ],
            )
        numbered, found = _rows_from_xlsx(data, sid, collection, limits, deadline)
        findings += found
        if numbered is None:
            return ReadResult(None, findings)
        numbered = [(n, r) for n, r in numbered if any(c.strip() for c in r)]  # blanks only
    else:
        check_line_length(data, limits)
        text, found = _decode(data, sid, collection)
        findings += found
        if text is None:
            return ReadResult(None, findings)
        text = text.lstrip("\ufeff")
        check_columns(_header_width(text), limits)
        fast = (
            _fast_csv(text, collection, sid, findings, limits)
            if len(text) >= FAST_CSV_MIN_CHARS
            else None
        )
        if fast is not None:
            return fast
        rows = _rows_from_csv(text, limits, deadline)
        # Row numbers as a spreadsheet shows them (header = 1), kept before blank rows go.
        numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not numbered:
        return ReadResult(
            None,
            [
                *findings,
                _finding(sid, collection, "empty", "blocking", "The file has no header row."),
            ],
        )
    check_rows(len(numbered) - 1, limits)
    return _to_table(numbered, collection, sid, findings)


#: What str.strip() removes (polars' own whitespace is Unicode's, which lacks \x1c-\x1f): a
#: row the careful reader sees as blank is blank to the polars path too. Every character for
#: which str.isspace() is true (tests/test_fuzz_reader.py checks the list).
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

#: Below this size a CSV is read by the csv module rather than polars: polars costs about 1 ms
#: of fixed overhead per file (lazy collects), the csv module a few microseconds per row, and the
#: two give the same table for any file the polars path accepts (tests/test_fuzz_reader.py).
#: Measured reading every CSV of a scale: state (4,528 files) 5.5 s all by polars, 2.9 s with
#: 64 KiB, 2.6 s with 128 KiB; large (5,390 files) 7.4 s with 64 KiB, 6.7 s with 128 KiB.
FAST_CSV_MIN_CHARS = 128 * 1024


def _header_width(text: str) -> int:
    """How many columns the header row has (its first line, read as CSV)."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    try:
        return len(next(csv.reader([first.rstrip("\r")], strict=False), []))
    except csv.Error:
        return first.count(",") + 1


def check_header(
    raw_header: list[str], collection: Collection, sid: int, findings: list[Finding]
) -> dict[str, int] | None:
    """Positions of the contract columns in the header, or None when the file cannot be read
    (wrong delimiter, duplicated or missing required headers); findings are appended."""
    header = [h.strip().lstrip("\ufeff").lower() for h in raw_header]
    expected = {c.name for c in collection.columns}
    first = raw_header[0] if raw_header else ""
    if len(header) == 1 and not (set(header) & expected) and any(d in first for d in ";\t|"):
        sep = next(d for d in ";\t|" if d in first)
        findings.append(
            _finding(
                sid,
                collection,
                "delimiter",
                "blocking",
                f"The file is separated by {sep!r} instead of commas. Save it as CSV "
                "(comma-separated) and send it again.",
                values=(repr(sep),),
            )
        )
        return None
    counts: dict[str, int] = {}
    for h in header:
        counts[h] = counts.get(h, 0) + 1
    dupes = sorted(clip(h, 60) for h, n in counts.items() if h and n > 1)[:10]
    if dupes:
        findings.append(
            _finding(
                sid,
                collection,
                "duplicate_columns",
                "blocking",
                "These column headers appear more than once: " + ", ".join(dupes),
                values=tuple(dupes),
            )
        )
    missing = [c for c in collection.required_headers if c not in header]
    if missing:
        findings.append(
            _finding(
                sid,
                collection,
                "missing_columns",
                "blocking",
                "Required columns are missing from the header: " + ", ".join(missing),
                values=tuple(missing),
            )
        )
    unknown = [clip(h, 60) for h in header if h and h not in expected]
    if unknown:
        findings.append(
            _finding(
                sid,
                collection,
                "unknown_columns",
                "warning",
                "Columns not in the contract were ignored: "
                + ", ".join(unknown[:10])
                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""),
                values=tuple(unknown[:10]),
            )
        )
    if dupes or missing:
        return None
    return {h: i for i, h in enumerate(header) if h in expected}


def _finish(
    table: pl.DataFrame, collection: Collection, sid: int, findings: list[Finding]
) -> ReadResult:
    if table.height == 0:
        findings.append(
            _finding(
                sid, collection, "no_rows", "warning", "The file has a header but no data rows."
            )
        )
    return ReadResult(table, findings)


def _fast_csv(
    text: str, collection: Collection, sid: int, findings: list[Finding], limits: Limits
) -> ReadResult | None:
    """polars reads a well-formed CSV (no blank lines, no ragged rows) in one pass, which is
    what a million-row file needs; None sends anything unusual to the careful reader."""
    if "\n\n" in text or "\r\n\r\n" in text or "\r" in text.replace("\r\n", ""):
        return None
    try:
        raw = pl.read_csv(
            text.encode(),
            has_header=False,
            infer_schema=False,
            raise_if_empty=False,
            quote_char='"',
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError):
        return None
    if raw.height == 0:
        return None
    check_rows(raw.height - 1, limits)
    positions = check_header([str(v or "") for v in raw.row(0)], collection, sid, findings)
    if positions is None:
        return ReadResult(None, findings)
    names = raw.columns
    blank = pl.all_horizontal(
        [pl.col(c).fill_null("").str.strip_chars(PYTHON_WHITESPACE) == "" for c in names]
    )
    table = (
        raw.lazy()
        .slice(1)
        .with_columns(pl.int_range(2, raw.height + 1, dtype=pl.Int64).alias("_source_row"))
        .filter(~blank)  # a row with no value at all goes, as the other readers drop it
        .select(
            *[pl.col(names[i]).fill_null("").alias(name) for name, i in positions.items()],
            "_source_row",
        )
        .collect()
    )
    return _finish(table, collection, sid, findings)


def _to_table(
    numbered: list[tuple[int, list[str]]], collection: Collection, sid: int, findings: list[Finding]
) -> ReadResult:
    rows = [r for _, r in numbered]
    positions = check_header(rows[0], collection, sid, findings)
    if positions is None:
        return ReadResult(None, findings)
    body = rows[1:]
    numbers = [n for n, _ in numbered[1:]]
    width = len(rows[0])
    ragged = [
        n
        for n, r in zip(numbers, body, strict=True)
        if len(r) > width and any(c.strip() for c in r[width:])
    ]
    if ragged:
        findings.append(
            Finding(
                sid,
                f"{collection.name}.file.extra_values",
                "blocking",
                "These rows have more values than the header has columns (a comma inside a value "
                "that is not quoted?).",
                CONVENTIONS,
                None,
                len(ragged),
                tuple(ragged[:20]),
            )
        )
    columns = {name: [(r[i] if i < len(r) else "") for r in body] for name, i in positions.items()}
    table = pl.DataFrame(
        {**columns, "_source_row": numbers},
        schema={**{n: pl.String for n in columns}, "_source_row": pl.Int64},
    )
    return _finish(table, collection, sid, findings)
