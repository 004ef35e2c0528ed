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
Counts are the federal child count (docs/rules/federal_reporting.md): the roster in force
(`staging.stg_placements`) and the parentally placed children with a services plan
(`staging.stg_ppps_count`): school age in the `Parentally Placed in Private Schools` row, aged 3
through 5 and not in kindergarten in the row of the early-childhood environment of their plan.
Early-childhood environments fill the ages 3-5 columns, school-age ones the ages 6-21 columns,
and the other block is `-` as in the federal file; the totals include the parentally placed
children, as the published file's do. Race, sex and English-learner columns count the children
whose roster gives them (a roster of a year before the profile's first federal year may not).

The layout in force: from 2019-20 EDFacts reports a 5-year-old in kindergarten as school age
(FS002, age AGE05K), and the layout gains the single-age column `Age 5 (School Age)` before
`Age 6`, its first band and school-age total becoming `Age 5 (School Age)-11` and
`Age 5 (School Age)-21`; every band is the sum of its single ages. Before 2019-20 every
5-year-old was early childhood: a roster of such a year with a 5-year-old in kindergarten has
no column to go in, and the export says so (`LayoutGap`) rather than leave the child out.
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


#: From this school year EDFacts counts a 5-year-old in kindergarten as school age (FS002, age
#: AGE05K) and the 618 layout gives the child a school-age column of its own.
SCHOOL_AGE_FIVE_FROM = "2019-20"
SCHOOL_AGE_FIVE = "Age 5 (School Age)"
#: The school-age columns renamed in that layout: the first band and the total start at 5.
SCHOOL_AGE_FIVE_RENAMES = {
    "Age 6-11": "Age 5 (School Age)-11",
    "Ages 6-21": "Age 5 (School Age)-21",
}
RACE_COLUMNS = {  # EDFacts race code -> (ages 3-5 column, ages 6-21 column)
    "AM7": (EC_DEMOGRAPHICS[0], SA_DEMOGRAPHICS[4]),
    "AS7": (EC_DEMOGRAPHICS[1], SA_DEMOGRAPHICS[5]),
    "BL7": (EC_DEMOGRAPHICS[2], SA_DEMOGRAPHICS[6]),
    "HI7": (EC_DEMOGRAPHICS[3], SA_DEMOGRAPHICS[7]),
    "PI7": (EC_DEMOGRAPHICS[4], SA_DEMOGRAPHICS[8]),
    "MU7": (EC_DEMOGRAPHICS[5], SA_DEMOGRAPHICS[9]),
    "WH7": (EC_DEMOGRAPHICS[6], SA_DEMOGRAPHICS[10]),
}
#: (female, male, English learner, not) columns per age group
OTHER_COLUMNS = {
    "3-5": (EC_DEMOGRAPHICS[7], EC_DEMOGRAPHICS[8], EC_DEMOGRAPHICS[9], EC_DEMOGRAPHICS[10]),
    "6-21": (SA_DEMOGRAPHICS[2], SA_DEMOGRAPHICS[3], SA_DEMOGRAPHICS[0], SA_DEMOGRAPHICS[1]),
}


class LayoutGap(ValueError):
    """The layout in force for a school year has no column for some children of its roster."""


def federal_618_header(school_year: str) -> tuple[str, ...]:
    """The 618 layout in force for a school year: the published 2017-18 columns, and from
    SCHOOL_AGE_FIVE_FROM on a school-age column for 5-year-olds in kindergarten, with the first
    band and the school-age total starting at 5."""
    if school_year < SCHOOL_AGE_FIVE_FROM:
        return FEDERAL_618_HEADER
    header: list[str] = []
    for column in FEDERAL_618_HEADER:
        if column == "Age 6":
            header.append(SCHOOL_AGE_FIVE)
        header.append(SCHOOL_AGE_FIVE_RENAMES.get(column, column))
    return tuple(header)


def roster_counts(con: duckdb.DuckDBPyConnection, school_year: str) -> pl.DataFrame:
    """Children counted in the federal child count of `school_year`, per age group,
    environment, disability, age, kindergarten, race, sex and English-learner status: the
    roster in force, and the parentally placed children with a services plan (school age under
    PPPS; 3-5 not in kindergarten under the early-childhood environment of the plan)."""
    ppps = (
        "SELECT CASE WHEN educational_environment IS NULL THEN '6-21' ELSE '3-5' END, "
        "coalesce(educational_environment, 'PPPS'), disability_category, age_on_count_date, "
        "age_on_count_date = 5 AND educational_environment IS NULL, race_ethnicity, sex, "
        "english_learner, count(*) FROM staging.stg_ppps_count WHERE school_year = ? "
        "AND has_services_plan AND (age_on_count_date >= 5 OR educational_environment IS NOT NULL) "
        "AND (age_on_count_date <= 5 OR educational_environment IS NULL) GROUP BY ALL"
    )
    return con.sql(
        "SELECT age_group, educational_environment, disability_category, "
        "age_on_count_date AS age, age_on_count_date = 5 AND grade_level = 'KG' AS kindergarten, "
        "race_ethnicity, sex, english_learner, count(*) AS students "
        "FROM staging.stg_placements WHERE school_year = ? GROUP BY ALL "
        f"UNION ALL {ppps}",
        params=[school_year, school_year],
    ).pl()


def _fill(row: dict, group: str, kids: list[dict], five_column: bool) -> None:
    """One row's cells for its age group from its children (dicts of roster_counts)."""
    by_age: dict[int, int] = {}
    for k in kids:
        by_age[k["age"]] = by_age.get(k["age"], 0) + k["students"]
    if group == "3-5":
        for age in (3, 4, 5):
            row[f"Age {age}"] = str(by_age.get(age, 0))
        row["Age 3 to 5"] = str(sum(by_age.values()))
    else:
        ages = range(5 if five_column else 6, 22)
        for age in ages:
            row[SCHOOL_AGE_FIVE if age == 5 else f"Age {age}"] = str(by_age.get(age, 0))
        for band, low, high in SA_BANDS:
            low = 5 if five_column and low == 5 else max(low, 6)
            name = SCHOOL_AGE_FIVE_RENAMES.get(band, band) if five_column else band
            row[name] = str(sum(n for a, n in by_age.items() if low <= a <= high))
        total = SCHOOL_AGE_FIVE_RENAMES["Ages 6-21"] if five_column else "Ages 6-21"
        row[total] = str(sum(by_age.values()))
    index = 0 if group == "3-5" else 1
    for code, columns in RACE_COLUMNS.items():
        row[columns[index]] = str(sum(k["students"] for k in kids if k["race_ethnicity"] == code))
    female, male, learner, not_learner = OTHER_COLUMNS[group]
    for column, key, value in (
        (female, "sex", "F"),
        (male, "sex", "M"),
        (learner, "english_learner", True),
        (not_learner, "english_learner", False),
    ):
        row[column] = str(sum(k["students"] for k in kids if k[key] == value))


def federal_618(con: duckdb.DuckDBPyConnection, school_year: str, state_name: str) -> pl.DataFrame:
    """The state's child count and educational environments for `school_year` in the federal
    618 state-level layout in force for that year (every column text, as the federal file is).
    Raises LayoutGap when the layout has no column for some of the year's children."""
    header = federal_618_header(school_year)
    five_column = SCHOOL_AGE_FIVE in header
    kids = roster_counts(con, school_year).to_dicts()
    if not five_column and any(k["kindergarten"] for k in kids):
        n = sum(k["students"] for k in kids if k["kindergarten"])
        raise LayoutGap(
            f"{n} children aged 5 in kindergarten are school age in the roster of "
            f"{school_year}, but the 618 layout in force before {SCHOOL_AGE_FIVE_FROM} has no "
            "school-age column for them"
        )
    labels = {k["disability_category"]: DISABILITY_LABELS.get(k["disability_category"],
              k["disability_category"]) for k in kids}  # fmt: skip
    disabilities = [ALL_DISABILITIES, *sorted(DISABILITY_LABELS.values())]
    fall = school_year[:4]
    rows = []
    for disability in disabilities:
        mine = [
            k for k in kids if disability in (ALL_DISABILITIES, labels[k["disability_category"]])
        ]
        for label, code, group in FEDERAL_ENVIRONMENTS:
            row = dict.fromkeys(header, NOT_AVAILABLE)
            row.update({"Year": fall, "State Name": state_name,
                        "SEA Education Environment": label,
                        "SEA Disability Category": disability})  # fmt: skip
            cell = [
                k
                for k in mine
                if k["age_group"] == group
                and (code is None or k["educational_environment"] == code)
            ]
            _fill(row, group, cell, five_column)
            rows.append(row)
    return pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")


def filename(stem: str, extension: str, when: dt.date | None = None) -> str:
    """A download's file name: letters, digits, `-` and `_` only, dated."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80] or "table"
    return f"{safe}_{(when or dt.date.today()).isoformat()}.{extension}"
