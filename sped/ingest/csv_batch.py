"""A batch's plain CSV files read by DuckDB's CSV reader: one read per header, not one per file.

Most files a state receives are plain UTF-8 CSV: one header line, one row per line, nothing
quoted. For those, reading file by file in Python (the csv module, or polars with its fixed cost
per call) was most of a collection's time. Here every such file of a batch is checked in a few
byte-level passes (size, line length, encoding, header), its body lines are prefixed with its
submission id, and the files that share a header layout are put one after another into one
buffer that DuckDB's CSV reader parses in one call, on every core. Each row keeps its file (the
prefix) and its row number as a spreadsheet shows it (its line in the file, header = 1).

The result is exactly what `read_table` gives each file (tests/test_csv_batch.py compares the
two on every kind of file the reader handles): the same text table, the same findings. Anything
that is not plain is left to `read_table`, which decides what its district is told: a workbook,
another encoding, a file beyond a limit or with a header problem, blank lines, a carriage return
on its own, a double quote anywhere (the csv module's lenient quoting rules decide what such a
value is), a row with more values than the header (DuckDB's rejects, or its one extra column),
a file with no data rows, or a file whose row count DuckDB and the line count disagree on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import duckdb
import polars as pl

from sped.contracts import Collection
from sped.contracts.findings import Finding
from sped.ingest.limits import (
    LimitExceeded,
    Limits,
    check_columns,
    check_line_length,
    check_rows,
    check_size,
)
from sped.ingest.read import PYTHON_WHITESPACE, XLSX_MAGIC, check_header
from sped.landing.registry import Submission

#: The column that receives a row's first value beyond its header (DuckDB rejects a row with
#: two or more, and records it in `reject_errors`).
_EXTRA = "__extra"
_SID = "__sid"


@dataclass
class PlainFile:
    """One file found plain: its submission, contract columns by position, body, line count."""

    sub: Submission
    positions: dict[str, int]
    width: int
    body: bytes
    lines: int
    findings: list[Finding] = field(default_factory=list)


@dataclass
class CsvBatch:
    """The plain files' rows (contract text columns, `_source_row`, `_submission_id`), each
    file's findings and row count, and the submissions left to the careful reader."""

    table: pl.DataFrame | None
    findings: dict[int, list[Finding]]
    rows: dict[int, int]
    rest: list[Submission]


def plain_file(
    sub: Submission, data: bytes, collection: Collection, limits: Limits
) -> PlainFile | None:
    """`data` as a plain CSV ready for the batch read, or None when the careful reader must
    read it (see the module's docstring)."""
    if data.startswith(XLSX_MAGIC) or sub.original_name.lower().endswith(".xlsx"):
        return None
    try:
        check_size(len(data), limits)
        check_line_length(data, limits)
    except LimitExceeded:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    head, newline, body = data.partition(b"\n")
    if not newline or not body or body.isspace() or b"\n\n" in body or body.startswith(b"\n"):
        return None
    if b'"' in data:  # quoting: the csv module's lenient rules decide what a value is
        return None
    header = next(csv.reader([head.decode("utf-8")], strict=False), [])
    try:
        check_columns(len(header), limits)
    except LimitExceeded:
        return None
    findings: list[Finding] = []
    positions = check_header(header, collection, sub.submission_id, findings)
    if positions is None:
        return None
    if not body.endswith(b"\n"):
        body += b"\n"
    lines = body.count(b"\n")
    try:
        check_rows(lines, limits)
    except LimitExceeded:
        return None
    return PlainFile(sub, positions, len(header), body, lines, findings)


def plain_files(
    items: list[tuple[Submission, bytes]], collection: Collection, limits: Limits
) -> dict[int, PlainFile]:
    """The files among `items` found plain (`plain_file`), by submission id: what `read_plain`
    will read, unless DuckDB refuses some of their rows."""
    plain: dict[int, PlainFile] = {}
    for sub, data in items:
        found = plain_file(sub, data, collection, limits)
        if found is not None:
            plain[sub.submission_id] = found
    return plain


def read_plain(
    items: list[tuple[Submission, bytes]],
    collection: Collection,
    limits: Limits,
    plain: dict[int, PlainFile] | None = None,
) -> CsvBatch:
    """Read the plain CSV files among `items` in one DuckDB read per header layout; the
    others are left in `rest`, in the order of `items`. `plain`: `plain_files(items, ...)`,
    when the caller has already found them."""
    if plain is None:
        plain = plain_files(items, collection, limits)
    if not plain:
        return CsvBatch(None, {}, {}, [sub for sub, _ in items])
    groups: dict[tuple, list[PlainFile]] = {}
    for f in plain.values():
        groups.setdefault((f.width, tuple(sorted(f.positions.items()))), []).append(f)
    con = duckdb.connect()
    try:
        tables = [_read_group(con, files) for files in groups.values()]
        refused = _rejected(con)
    finally:
        con.close()
    table = pl.concat(tables, how="diagonal_relaxed") if len(tables) > 1 else tables[0]
    rows = dict(table.group_by("_submission_id").len().iter_rows())
    unclean = set(table["__unclean"].drop_nulls().unique().to_list())
    unclean |= set(table.filter("__maybe_blank")["_submission_id"].unique().to_list())
    careful = {
        sid
        for sid, f in plain.items()
        if sid in refused or sid in unclean or rows.get(sid, 0) != f.lines
    }
    ours = [sid for sid in plain if sid not in careful]
    rest = [sub for sub, _ in items if sub.submission_id not in ours]
    if not ours:
        return CsvBatch(None, {}, {}, rest)
    if careful:
        table = table.filter(~pl.col("_submission_id").is_in(sorted(careful)))
    return CsvBatch(
        table.drop("__unclean", "__maybe_blank"),
        {sid: plain[sid].findings for sid in ours},
        {sid: rows[sid] for sid in ours},
        rest,
    )


def _read_group(con: duckdb.DuckDBPyConnection, files: list[PlainFile]) -> pl.DataFrame:
    """One DuckDB read of files that share a width and the contract columns' positions: the
    contract's text columns, `_source_row`, `_submission_id`, and two marks: `__unclean` (the
    file's id on a row with a value beyond the header)."""
    width = files[0].width
    buffer = io.BytesIO()
    buffer.write(b",".join([_SID.encode(), *(f"c{i}".encode() for i in range(width))]))
    buffer.write(b"," + _EXTRA.encode() + b"\n")
    for f in files:
        prefix = str(f.sub.submission_id).encode() + b","
        buffer.write(prefix + f.body[:-1].replace(b"\n", b"\n" + prefix) + b"\n")
    buffer.seek(0)
    columns = {_SID: "BIGINT", **{f"c{i}": "VARCHAR" for i in range(width)}, _EXTRA: "VARCHAR"}
    read = con.read_csv(
        buffer,
        header=True,
        sep=",",
        quotechar='"',
        escapechar='"',
        columns=columns,
        auto_detect=False,
        null_padding=True,
        strict_mode=True,
        ignore_errors=True,
        store_rejects=True,
    )
    raw = read.pl()  # in the buffer's order (DuckDB preserves it)
    lines = [f.lines for f in files]
    if raw.height == sum(lines):  # every line a row: each file's rows are its lines, in order
        numbers = pl.int_ranges(2, pl.Series(lines) + 2, dtype=pl.Int64).explode()
    else:  # some rows refused (their files go to the careful reader): count within each file
        numbers = raw.select(pl.int_range(pl.len(), dtype=pl.Int64).over(_SID) + 2).to_series()
    return raw.select(
        *[pl.col(f"c{i}").fill_null("").alias(name) for name, i in files[0].positions.items()],
        numbers.alias("_source_row"),
        pl.col(_SID).alias("_submission_id"),
        pl.when(pl.col(_EXTRA).fill_null("").str.strip_chars(PYTHON_WHITESPACE) != "")
        .then(pl.col(_SID))
        .alias("__unclean"),
        _maybe_blank(raw, files[0].width).alias("__maybe_blank"),
    )


def _blank(cell: pl.Expr) -> pl.Expr:
    return cell.fill_null("").str.strip_chars(PYTHON_WHITESPACE) == ""


def _maybe_blank(raw: pl.DataFrame, width: int) -> pl.Series:
    """Whether each row has no value at all (the careful reader drops it, keeping the numbers
    of the others): looked for only among rows whose first value is blank, so the whole table
    is not stripped cell by cell (polars evaluates both sides of an `&`: stripping every cell
    took 0.4 s of the large scale's rosters, which have no such row)."""
    first = raw.select(_blank(pl.col("c0"))).to_series()
    if width == 1 or not first.any():
        return first
    rows = first.arg_true()
    rest = raw[rows].select(pl.all_horizontal([_blank(pl.col(f"c{i}")) for i in range(1, width)]))
    return first.scatter(rows, rest.to_series())


def _rejected(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Submission ids of the rows DuckDB refused (two or more values beyond the header, or a
    line it could not parse): each such file goes to the careful reader."""
    try:
        lines = con.execute("SELECT csv_line FROM reject_errors").fetchall()
    except duckdb.CatalogException:
        return set()
    found = set()
    for (line,) in lines:
        head = (line or "").split(",", 1)[0]
        if head.isdigit():
            found.add(int(head))
    return found
