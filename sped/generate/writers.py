"""Turning typed frames into text on the wire, and writing files byte-for-byte reproducibly.

`to_text` renders a frame in a contract's column order: ISO dates, Y/N flags, two-decimal amounts,
blanks (not `""`) for missing values. `write_csv` goes through polars; `write_xlsx` writes the first
sheet with text cells for ids and real Excel dates, with fixed workbook and zip timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl

from sped.contracts import get
from sped.contracts.publish import FIXED_TIME, reproducible_zip


def cents(expr: pl.Expr) -> pl.Expr:
    """A non-negative amount as text with exactly two decimals (vectorised)."""
    c = (expr * 100).round(0).cast(pl.Int64)
    return pl.format("{}.{}", c // 100, (c % 100).cast(pl.String).str.zfill(2))


def to_text(frame: pl.DataFrame, collection: str) -> pl.DataFrame:
    """The frame as strings in the collection's column order; null where a value is missing."""
    exprs = []
    for col in get(collection).columns:
        e = pl.col(col.name)
        dtype = frame.schema[col.name]
        if dtype == pl.Date:
            e = e.dt.strftime("%Y-%m-%d")
        elif dtype == pl.Boolean:
            e = pl.when(e).then(pl.lit("Y")).otherwise(pl.lit("N"))
        elif dtype.is_float() and col.type == "decimal":
            e = pl.when(e.is_nan()).then(None).otherwise(cents(e))
        elif dtype.is_float():
            e = pl.when(e.is_nan()).then(None).otherwise(e.round(1).cast(pl.String))
            e = e.str.replace(r"\.0$", "")
        e = e.cast(pl.String)
        exprs.append(pl.when(e == "").then(None).otherwise(e).alias(col.name))
    return frame.select(exprs)


def us_dates(frame: pl.DataFrame, date_columns: list[str]) -> pl.DataFrame:
    """ISO dates rewritten M/D/YYYY, as a spreadsheet exports them."""
    exprs = []
    for c in date_columns:
        if c in frame.columns:
            d = pl.col(c).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            exprs.append(
                pl.when(d.is_not_null())
                .then(pl.format("{}/{}/{}", d.dt.month(), d.dt.day(), d.dt.year()))
                .otherwise(pl.col(c))
                .alias(c)
            )
    return frame.with_columns(exprs) if exprs else frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV text of a string frame: empty strings and nulls both written as nothing."""
    blanks = [
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
        for c, t in frame.schema.items()
        if t == pl.String
    ]
    return frame.with_columns(blanks).write_csv(line_terminator="\n").encode("utf-8")


def write_bytes(data: bytes, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def write_csv(frame: pl.DataFrame, path: Path, encoding: str = "utf-8") -> int:
    """Write a string frame as CSV (UTF-8, or e.g. cp1252 as some district exports are)."""
    data = csv_bytes(frame)
    if encoding != "utf-8":
        data = data.decode("utf-8").encode(encoding)
    return write_bytes(data, path)


def write_xlsx(frame: pl.DataFrame, path: Path, date_columns: list[str]) -> int:
    """First sheet: header and rows; ids as text cells, dates as real Excel dates."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(frame.columns)
    dates = {i for i, c in enumerate(frame.columns) if c in date_columns}
    for row in frame.iter_rows():
        out = []
        for i, v in enumerate(row):
            if v is None or v == "":
                out.append(None)
            elif i in dates:
                out.append(dt.datetime.strptime(v, "%Y-%m-%d"))
            else:
                out.append(v)
        ws.append(out)
    for i in dates:
        for (cell,) in ws.iter_rows(min_col=i + 1, max_col=i + 1, min_row=2):
            cell.number_format = "yyyy-mm-dd"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return write_bytes(reproducible_zip(buf.getvalue()), path)
