"""Reading a submitted file into a table of text, before any typing.

Every problem a district can cause here (wrong encoding, wrong delimiter, binary data, an empty
file, duplicated or missing headers, XLSX quirks) becomes a `Finding` in plain words rather than
an exception. Values stay text: typing is `sped.ingest.typing`'s job, so leading zeros survive.
Header names are matched case-insensitively after trimming (docs/rules/contracts.md, conventions).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

import polars as pl

from sped.contracts import Collection
from sped.findings import Finding

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


def _rows_from_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=False))


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


def _rows_from_xlsx(data: bytes, sid: int, collection: Collection):
    from openpyxl import load_workbook

    findings: list[Finding] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return None, [
            _finding(
                sid,
                collection,
                "not_xlsx",
                "blocking",
                f"The file cannot be opened as an Excel workbook ({type(exc).__name__}).",
            )
        ]
    try:
        sheets = wb.sheetnames
        if len(sheets) > 1:
            findings.append(
                _finding(
                    sid,
                    collection,
                    "extra_sheets",
                    "warning",
                    f"The workbook has {len(sheets)} sheets; only the first "
                    f"({sheets[0]!r}) was read.",
                    values=tuple(sheets[1:6]),
                )
            )
        ws = wb[sheets[0]]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return rows, findings


def read_table(data: bytes, name: str, collection: Collection, sid: int = 0) -> ReadResult:
    """Read `data` (a CSV or XLSX file called `name`) into a text table with contract headers.

    The table holds one column per contract column found in the header (renamed to the
    contract's spelling), plus `_source_row`: the row number as a spreadsheet shows it
    (header = row 1). Missing required headers and unreadable files are blocking findings.
    """
    findings: list[Finding] = []
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
        rows, found = _rows_from_xlsx(data, sid, collection)
        findings += found
    else:
        text, found = _decode(data, sid, collection)
        findings += found
        if text is None:
            return ReadResult(None, findings)
        fast = _fast_csv(text.lstrip("\ufeff"), collection, sid, findings)
        if fast is not None:
            return fast
        rows = _rows_from_csv(text)
    # Row numbers as a spreadsheet shows them (header = 1), kept before blank rows are dropped.
    numbered = [(i + 1, r) for i, r in enumerate(rows or []) if any(str(c).strip() for c in r)]
    if not numbered:
        return ReadResult(
            None,
            [
                *findings,
                _finding(sid, collection, "empty", "blocking", "The file has no header row."),
            ],
        )
    return _to_table(numbered, collection, sid, findings)


def _check_header(
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
    dupes = sorted({h for h in header if h and header.count(h) > 1})
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
    unknown = [h for h in header if h and h not in expected]
    if unknown:
        findings.append(
            _finding(
                sid,
                collection,
                "unknown_columns",
                "warning",
                "Columns not in the contract were ignored: " + ", ".join(unknown[:10]),
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
    text: str, collection: Collection, sid: int, findings: list[Finding]
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
    positions = _check_header([str(v or "") for v in raw.row(0)], collection, sid, findings)
    if positions is None:
        return ReadResult(None, findings)
    names = raw.columns
    table = (
        raw.slice(1)
        .select([pl.col(names[i]).fill_null("").alias(name) for name, i in positions.items()])
        .with_columns(pl.int_range(2, raw.height + 1, dtype=pl.Int64).alias("_source_row"))
    )
    return _finish(table, collection, sid, findings)


def _to_table(
    numbered: list[tuple[int, list[str]]], collection: Collection, sid: int, findings: list[Finding]
) -> ReadResult:
    rows = [r for _, r in numbered]
    positions = _check_header(rows[0], collection, sid, findings)
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
