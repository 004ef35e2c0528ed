"""Typing a text table per its contract, vectorised: text -> DATE, BOOLEAN, BIGINT, DECIMAL.

Accepted spellings (docs/rules/contracts.md, conventions): dates `YYYY-MM-DD` or `M/D/YYYY`;
flags `Y`/`N` or `true`/`false` in any case; codes in any case (stored upper-case); blank means
missing.
A value that cannot be converted is a blocking finding naming the rows, column and values; the
cell becomes NULL so the rest of the file can still be checked.
"""

from __future__ import annotations

import polars as pl

from sped.contracts import Collection, Column
from sped.contracts.findings import SAMPLE_SIZE, Finding

CONVENTIONS = "docs/rules/contracts.md, conventions for every collection"

EXPECTED = {
    "date": "a date written YYYY-MM-DD (or M/D/YYYY)",
    "flag": "Y or N",
    "integer": "a whole number",
    "decimal": "an amount with at most 2 decimal places",
    "number": "a number",
}

_DECIMAL = r"^[+-]?(\d+(\.\d{0,2})?|\.\d{1,2})$"
_INTEGER = r"^[+-]?\d+$"
_SERIAL = r"^\d{5}(\.\d+)?$"  # what an Excel date looks like when its format is lost


def _convert(col: Column, text: pl.Expr) -> pl.Expr:
    if col.type == "date":
        iso = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        us = text.str.strptime(pl.Date, "%m/%d/%Y", strict=False)
        return pl.coalesce(iso, us)
    if col.type == "flag":
        up = text.str.to_uppercase()
        return (
            pl.when(up.is_in(["Y", "TRUE"]))
            .then(True)
            .when(up.is_in(["N", "FALSE"]))
            .then(False)
            .otherwise(None)
        )
    if col.type == "integer":
        return pl.when(text.str.contains(_INTEGER)).then(text).cast(pl.Int64, strict=False)
    if col.type == "decimal":
        return pl.when(text.str.contains(_DECIMAL)).then(text).cast(pl.Decimal(18, 2), strict=False)
    if col.type == "number":
        return text.cast(pl.Float64, strict=False)
    if col.type == "code":
        return text.str.to_uppercase()
    return text


def type_table(
    table: pl.DataFrame, collection: Collection, submission_id: int
) -> tuple[pl.DataFrame, list[Finding]]:
    """Typed columns for every contract column (absent optional columns become NULL)."""
    typed, findings = type_batch(
        [table], [submission_id], collection, keep_submission=False, heights=[table.height]
    )
    return typed, findings.get(submission_id, [])


def type_batch(
    tables: list[pl.DataFrame],
    submission_ids: list[int],
    collection: Collection,
    *,
    keep_submission: bool = True,
    heights: list[int] | None = None,
    tagged: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, dict[int, list[Finding]]]:
    """The text tables of many files typed in one pass: their rows put together (each tagged
    with its `_submission_id`, kept as a column unless `keep_submission` is False), converted
    column by column, and the values that could not be converted reported per submission and
    column, in contract order, exactly as typing each file alone would. `tagged`: rows of
    more files, already tagged with their `_submission_id` (sped/ingest/csv_batch.py)."""
    parts = [tagged] if tagged is not None else []
    if tables:
        heights = heights if heights is not None else [t.height for t in tables]
        table = tables[0] if len(tables) == 1 else pl.concat(tables, how="diagonal_relaxed")
        parts.append(table.with_columns(_repeat(submission_ids, heights)))
    table = parts[0] if len(parts) == 1 else pl.concat(parts, how="diagonal_relaxed")
    exprs = []
    checks: list[Column] = []
    present = [c for c in collection.columns if c.name in table.columns]
    distinct = _distinct_values(table, [c for c in present if c.type in DICTIONARY_TYPES])
    for col in collection.columns:
        if col.name not in table.columns:
            exprs.append(pl.lit(None, dtype=_polars_type(col)).alias(col.name))
            continue
        if col.name in distinct:
            typed, bad = _by_distinct_values(col, distinct[col.name])
        else:
            text = _text(pl.col(col.name))
            typed = _convert(col, text)
            bad = text.is_not_null() & typed.is_null()
        exprs.append(typed.alias(col.name))
        if col.type in EXPECTED:
            checks.append(col)
            exprs.append(bad.alias(_bad(col)))
    both = table.select([*exprs, pl.col("_source_row"), pl.col("_submission_id")])
    findings: dict[int, list[Finding]] = {}
    if checks:
        counts = both.select([pl.col(_bad(c)).sum() for c in checks]).row(0)
        for col, count in zip(checks, counts, strict=True):
            if count:
                _report(both, table, collection, col, findings)
    keep = [c.name for c in collection.columns] + ["_source_row"]
    if keep_submission:
        keep.append("_submission_id")
    return both.select(keep), findings


#: Column types converted once per distinct value and then looked up (codes, flags, dates and
#: numbers repeat: a roster's 1.6 million flags have a handful of spellings). Converting every
#: cell cost 60-160 ms a column at the large scale; the distinct values and a lookup cost a
#: fraction of that, and give the same result: the same `_convert` on the same values.
DICTIONARY_TYPES = frozenset({"code", "flag", "date", "integer", "decimal", "number"})
#: A column with more distinct values than this share of its rows is converted cell by cell.
DICTIONARY_MAX_SHARE = 0.25


def _text(raw: pl.Expr) -> pl.Expr:
    """A cell as text: surrounding whitespace removed, blank as missing."""
    return raw.str.strip_chars().replace("", None)


def _distinct_values(table: pl.DataFrame, cols: list[Column]) -> dict[str, pl.Series]:
    """The distinct non-null values of each column worth converting once per value."""
    if not cols or table.height == 0:
        return {}
    found = table.select([pl.col(c.name).drop_nulls().unique().implode() for c in cols]).row(0)
    limit = max(1, int(table.height * DICTIONARY_MAX_SHARE))
    return {c.name: v for c, v in zip(cols, found, strict=True) if len(v) <= limit}


def _by_distinct_values(col: Column, values: pl.Series) -> tuple[pl.Expr, pl.Expr]:
    """`col` typed, and whether a value failed to convert, looked up by each cell's value from
    the conversion of its distinct values."""
    text = _text(pl.col("raw"))
    typed = _convert(col, text)
    small = pl.DataFrame({"raw": values}, schema={"raw": pl.String}).select(
        "raw",
        typed.alias("typed"),
        (text.is_not_null() & typed.is_null()).alias("bad"),
    )
    kind = _polars_type(col)
    cell = pl.col(col.name)
    return (
        cell.replace_strict(small["raw"], small["typed"], default=None, return_dtype=kind),
        cell.replace_strict(small["raw"], small["bad"], default=False, return_dtype=pl.Boolean),
    )


def _repeat(submission_ids: list[int], heights: list[int]) -> pl.Series:
    """Each file's submission id once per row of that file."""
    nonempty = [(sid, n) for sid, n in zip(submission_ids, heights, strict=True) if n]
    runs = pl.DataFrame(
        {"_submission_id": [s for s, _ in nonempty], "n": [n for _, n in nonempty]},
        schema={"_submission_id": pl.Int64, "n": pl.Int64},
    )
    return runs.select(pl.col("_submission_id").repeat_by("n").explode()).to_series()


def _bad(col: Column) -> str:
    return f"__untyped_{col.name}"


def _report(
    both: pl.DataFrame,
    table: pl.DataFrame,
    collection: Collection,
    col: Column,
    findings: dict[int, list[Finding]],
) -> None:
    """One finding per submission with values of `col` that could not be typed: how many, the
    first rows and their values as sent."""
    failed = (
        table.select("_submission_id", "_source_row", pl.col(col.name).alias("value"))
        .filter(both.get_column(_bad(col)))
        .group_by("_submission_id", maintain_order=True)
        .agg(
            pl.len().alias("count"),
            pl.col("_source_row").head(SAMPLE_SIZE).alias("rows"),
            pl.col("value").head(SAMPLE_SIZE).alias("values"),
        )
    )
    for sid, count, rows, values in failed.iter_rows():
        findings.setdefault(sid, []).append(
            _type_finding(collection, col, sid, count, list(rows), list(values))
        )


def _type_finding(
    collection: Collection, col: Column, sid: int, count: int, rows: list[int], values: list[str]
) -> Finding:
    hint = ""
    if col.type == "date" and any(_looks_serial(v) for v in values):
        hint = " Some values look like Excel serial dates: format the column as a date."
    if col.type == "decimal":
        hint = " Write amounts like 1250.00, without $ or thousands separators."
    shown = tuple("***" if col.name == "student_id" else str(v) for v in values)
    return Finding(
        submission_id=sid,
        rule_id=f"{collection.name}.{col.name}.type",
        severity="blocking",
        text=f"{col.name} must be {EXPECTED[col.type]}.{hint}",
        reference=CONVENTIONS,
        column=col.name,
        failed_count=count,
        sample_rows=tuple(rows),
        sample_values=shown,
    )


def _looks_serial(value: str) -> bool:
    import re

    return bool(re.match(_SERIAL, str(value).strip()))


def _polars_type(col: Column) -> pl.DataType:
    return {
        "date": pl.Date(),
        "flag": pl.Boolean(),
        "integer": pl.Int64(),
        "decimal": pl.Decimal(18, 2),
        "number": pl.Float64(),
    }.get(col.type, pl.String())
