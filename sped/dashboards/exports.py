"""Downloads: any table as CSV or XLSX with spreadsheet formula injection neutralised, and the
state's child count and educational environments in the column layout of the federal IDEA
Section 618 state-level file.

Formula injection (CSV injection): a spreadsheet runs a cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return as a formula, and district files put free text (names,
details) into the warehouse. Every text cell that starts with one of them is written with a
leading `'`, which spreadsheets show as text. Numbers stay numbers. A cell that is exactly `-`
(the federal files' "not available") is left as it is: it cannot form a formula.

The 618 layout: the 50 columns of `bchildcountandedenvironments2017-18.csv` in its order (the
header's trailing spaces and "to21" included), one row per disability category (All
Disabilities first) and environment (in the file's order), Year the fall of the school year.
Counts come from the roster in force (`staging.stg_placements`), by the same age groups as the
marts: early-childhood environments fill the ages 3-5 columns, school-age environments the
ages 6-21 columns, and the other block is `-` as in the federal file. Columns the roster does not
collect (race, sex, English learner status) are `-` (not available). Five year olds in
kindergarten are school age (EDFacts FS002): they count in `Age 6-11` and `Ages 6-21`, which
have them, but in no single-age column (the 2017-18 layout has no "Age 5" among the school-age
columns). Parentally placed children are on no district's roster: that row is `-`, and the
totals are of the other environments, as `fct_lre_environments` counts them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import duckdb
import polars as pl

from sped.contracts.codes import DISABILITY_LABELS

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NOT_AVAILABLE = "-"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, made inert with a leading `'`."""
    if isinstance(value, str) and value != NOT_AVAILABLE and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Types every writer handles: wide integers narrowed, text neutralised."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype in (pl.Int128, pl.UInt128):
            col = col.cast(pl.Int64)
        elif dtype == pl.String:
            risky = col.str.contains(r"^[=+\-@\t\r]") & (col != NOT_AVAILABLE)
            col = pl.when(risky).then(pl.lit("'") + col).otherwise(col)
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            col = col.cast(pl.String)
        out.append(col.alias(name))
    return frame.select(out) if out else frame


def to_csv(frame: pl.DataFrame) -> bytes:
    """The table as UTF-8 CSV with a header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; quotes a lone CR too
    writer.writerow([neutralise(c) for c in frame.columns])
    for row in _plain(frame).iter_rows():
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8")


def to_xlsx(frame: pl.DataFrame, sheet: str = "data") -> bytes:
    """The table as an XLSX workbook of one sheet (numbers as numbers, dates as dates)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.append([neutralise(c) for c in frame.columns])
    for row in _plain(frame).iter_rows():
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the federal 618 layout ------------------------------------------------------------------

AGES_3_5 = ("Age 3", "Age 4", "Age 5")
EC_DEMOGRAPHICS = (
    "American Indian or Alaska Native Age 3 to 5 ",
    "Asian Age 3-5 ",
    "Black or African American Age 3-5 ",
    "Hispanic/Latino Age 3-5 ",
    "Native Hawaiian or Other Pacific Islander Age 3-5 ",
    "Two or More Races Age 3-5 ",
    "White Age 3-5 ",
    "Female Age 3 to 5",
    "Male Age 3 to 5",
    "LEP Yes Age 3 to 5",
    "LEP No Age 3 to 5",
)
AGES_6_21 = tuple(f"Age {a}" for a in range(6, 22))
SA_BANDS = (("Age 6-11", 5, 11), ("Age 12-17", 12, 17), ("Age 18-21", 18, 21))
SA_DEMOGRAPHICS = (
    "LEP Yes Age 6 to 21",
    "LEP No Age 6 to 21",
    "Female Age 6 to 21",
    "Male Age 6 to 21",
    "American Indian or Alaska Native Age 6 to21",
    "Asian Age 6 to21",
    "Black or African American Age 6 to21",
    "Hispanic/Latino Age 6 to21",
    "Native Hawaiian or Other Pacific Islander Age 6 to21",
    "Two or more races Age 6 to21",
    "White Age 6 to21",
)
FEDERAL_618_HEADER: tuple[str, ...] = (
    "Year",
    "State Name",
    "SEA Education Environment",
    "SEA Disability Category",
    *AGES_3_5,
    *EC_DEMOGRAPHICS,
    "Age 3 to 5",
    *AGES_6_21,
    *(band for band, _, _ in SA_BANDS),
    "Ages 6-21",
    *SA_DEMOGRAPHICS,
)

_OTHER_LOCATION = "Services in Other Location than Regular Early Childhood Program"
#: (label in the federal file, EDFacts code, age group) in the file's order; code None for
#: the totals.
FEDERAL_ENVIRONMENTS: tuple[tuple[str, str | None, str], ...] = (
    ("Correctional Facilities", "CF", "6-21"),
    ("Home", "H", "3-5"),
    ("Homebound/Hospital", "HH", "6-21"),
    ("Inside regular class 40% through 79% of the day", "RC79TO40", "6-21"),
    ("Inside regular class 80% or more of the day", "RC80", "6-21"),
    ("Inside regular class less than 40% of the day", "RC39", "6-21"),
    ("Parentally Placed in Private Schools", "PPPS", "6-21"),
    ("Residential Facility, Age 3-5", "RF", "3-5"),
    ("Residential Facility, Age 6-21", "RF", "6-21"),
    ("Separate Class", "SC", "3-5"),
    ("Separate School, Age 3-5", "SS", "3-5"),
    ("Separate School, Age 6-21", "SS", "6-21"),
    ("Service Provider Location", "SPL", "3-5"),
    (f"{_OTHER_LOCATION} (attend at least 10 hours)", "REC10YOTHLOC", "3-5"),
    (f"{_OTHER_LOCATION} (attend less than 10 hours)", "REC09YOTHLOC", "3-5"),
    ("Services in Regular Early Childhood Program (attend at least 10 hours)", "REC10YSVCS", "3-5"),
    (
        "Services in Regular Early Childhood Program (attend less than 10 hours)",
        "REC09YSVCS",
        "3-5",
    ),
    ("Total, Age 3-5", None, "3-5"),
    ("Total, Age 6-21", None, "6-21"),
)
ALL_DISABILITIES = "All Disabilities"


def roster_counts(con: duckdb.DuckDBPyConnection, school_year: str) -> pl.DataFrame:
    """Students of the roster in force per age group, environment, disability and age."""
    return con.sql(
        "SELECT age_group, educational_environment, disability_category, "
        "age_on_count_date AS age, count(*) AS students FROM staging.stg_placements "
        "WHERE school_year = ? GROUP BY ALL",
        params=[school_year],
    ).pl()


def federal_618(con: duckdb.DuckDBPyConnection, school_year: str, state_name: str) -> pl.DataFrame:
    """The state's child count and educational environments for `school_year` in the federal
    618 state-level layout (every column text, as the federal file is)."""
    counts = roster_counts(con, school_year)
    # (disability label, age group, environment code or None for the total, age) -> students
    cells: dict[tuple[str, str, str | None, int], int] = {}
    for r in counts.iter_rows(named=True):
        label = DISABILITY_LABELS.get(r["disability_category"], r["disability_category"])
        for disability in (ALL_DISABILITIES, label):
            for env in (r["educational_environment"], None):
                key = (disability, r["age_group"], env, r["age"])
                cells[key] = cells.get(key, 0) + r["students"]
    disabilities = [ALL_DISABILITIES, *sorted(DISABILITY_LABELS.values())]
    fall = school_year[:4]
    rows = []
    for disability in disabilities:
        for label, code, group in FEDERAL_ENVIRONMENTS:
            row = dict.fromkeys(FEDERAL_618_HEADER, NOT_AVAILABLE)
            row.update({"Year": fall, "State Name": state_name,
                        "SEA Education Environment": label,
                        "SEA Disability Category": disability})  # fmt: skip
            if code != "PPPS":
                by_age = {
                    age: n for (d, g, e, age), n in cells.items()
                    if d == disability and g == group and e == code
                }  # fmt: skip
                if group == "3-5":
                    for age in (3, 4, 5):
                        row[f"Age {age}"] = str(by_age.get(age, 0))
                    row["Age 3 to 5"] = str(sum(by_age.values()))
                else:
                    for age in range(6, 22):
                        row[f"Age {age}"] = str(by_age.get(age, 0))
                    for band, low, high in SA_BANDS:
                        row[band] = str(sum(n for a, n in by_age.items() if low <= a <= high))
                    row["Ages 6-21"] = str(sum(by_age.values()))
            rows.append(row)
    return pl.DataFrame(rows, schema=dict.fromkeys(FEDERAL_618_HEADER, pl.String), orient="row")


def filename(stem: str, extension: str, when: dt.date | None = None) -> str:
    """A download's file name: letters, digits, `-` and `_` only, dated."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80] or "table"
    return f"{safe}_{(when or dt.date.today()).isoformat()}.{extension}"
