"""Writing files byte-for-byte reproducibly: CSV through polars, XLSX with fixed timestamps."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl

from sped.contracts.publish import FIXED_TIME, reproducible_zip


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


def write_csv(frame: pl.DataFrame, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = frame.write_csv(line_terminator="\n").encode()
    path.write_bytes(data)
    return len(data)


def write_xlsx(frame: pl.DataFrame, path: Path, date_columns: list[str]) -> int:
    """First sheet: header and rows; ids as text cells, dates as real Excel dates."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = path.stem[:31]
    ws.append(frame.columns)
    dates = {i for i, c in enumerate(frame.columns) if c in date_columns}
    for row in frame.iter_rows():
        out = []
        for i, v in enumerate(row):
            if i in dates and v:
                out.append(dt.datetime.strptime(v, "%Y-%m-%d"))
            else:
                out.append(v if v != "" else None)
        ws.append(out)
    for i in dates:
        for cell in ws.iter_cols(min_col=i + 1, max_col=i + 1, min_row=2):
            for c in cell:
                c.number_format = "yyyy-mm-dd"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    data = reproducible_zip(buf.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
