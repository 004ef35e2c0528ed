"""The EDFacts file specifications FS002 and FS089 as the warehouse writes them.

Facts from the file specifications, as the open-source CEDS Generate system keeps them for
the 2022 submission year (category sets per reporting level, permitted values, and the
fixed-width "non-XML" record layouts with their start and end positions):

- FS002, children with disabilities (IDEA) school age, table type IDEADISAB: category sets
  A (disability, race/ethnicity, sex), B (age, disability, environment), C (environment,
  race/ethnicity), D (disability, environment, sex), E (disability, environment, English
  learner status, sex); subtotals 1 (sex), 2 (age), 3 (disability), 4 (race/ethnicity),
  5 (English learner status), 6 (environment), 7 (age, environment); the education unit total.
  Ages AGE05K (5 in kindergarten) and 6 through 21; environments RC80, RC79TO40, RC39, SS, RF,
  HH, CF and PPPS.
- FS089, children with disabilities (IDEA) early childhood, table type CHWDSBERLCHD: category
  sets A (age, disability, environment), B (disability, environment, race/ethnicity),
  C (environment, sex), D (environment, English learner status); subtotals 1-6 as FS002's
  first six; the education unit total. Ages 3, 4 and AGE05NOTK; the nine early-childhood
  environments.

The category sets here and in `dbt/macros/federal_category_set_records.sql` are the same
(tests/test_federal_files.py). Every value is left-aligned and padded with spaces to its
field's width, as CEDS Generate writes the fixed-width files.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The first school year of these layouts: EDFacts counts a 5-year-old in kindergarten as
#: school age (AGE05K) from 2019-20.
FIRST_SCHOOL_YEAR = "2019-20"
LEVELS = ("SEA", "LEA")
STATE_AGENCY_NUMBER = "01"  # the state education agency


@dataclass(frozen=True)
class Field:
    """One field of a fixed-width record: its name, first and last position (1-based)."""

    name: str
    start: int
    end: int

    @property
    def width(self) -> int:
        return self.end - self.start + 1


def _fields(*spec: tuple[str, int, int]) -> tuple[Field, ...]:
    return tuple(Field(name, start, end) for name, start, end in spec)


#: The header record of every EDFacts flat file.
HEADER = _fields(
    ("file_type", 1, 50),
    ("total_records", 51, 60),
    ("file_name", 61, 85),
    ("file_identifier", 86, 117),
    ("file_reporting_period", 118, 126),
    ("filler", 127, 584),
)


@dataclass(frozen=True)
class FileSpec:
    """One file specification: its codes, category sets and data record layout per level."""

    code: str  # FS002
    number: str  # 002
    title: str
    table_type: str
    file_types: dict[str, str]  # level -> the header's file type
    category_sets: tuple[tuple[str, tuple[str, ...]], ...]
    record: tuple[Field, ...]  # the data record (the LEA id field is blank in the SEA file)
    ages: tuple[str, ...]
    environments: tuple[str, ...]


FS002 = FileSpec(
    code="FS002",
    number="002",
    title="Children with disabilities (IDEA) school age",
    table_type="IDEADISAB",
    file_types={"SEA": "SEA CHILDREN WITH DISABILITIES", "LEA": "LEA CHILDREN WITH DISABILITIES"},
    category_sets=(
        ("CSA", ("disability_category", "race_ethnicity", "sex")),
        ("CSB", ("age", "disability_category", "educational_environment")),
        ("CSC", ("educational_environment", "race_ethnicity")),
        ("CSD", ("disability_category", "educational_environment", "sex")),
        ("CSE", ("disability_category", "educational_environment", "english_learner", "sex")),
        ("ST1", ("sex",)),
        ("ST2", ("age",)),
        ("ST3", ("disability_category",)),
        ("ST4", ("race_ethnicity",)),
        ("ST5", ("english_learner",)),
        ("ST6", ("educational_environment",)),
        ("ST7", ("age", "educational_environment")),
        ("TOT", ()),
    ),
    record=_fields(
        ("file_record_number", 1, 10),
        ("state_code", 11, 12),
        ("state_agency_number", 13, 14),
        ("lea_id", 15, 28),
        ("filler", 29, 48),
        ("table_type", 49, 68),
        ("filler", 69, 83),
        ("race_ethnicity", 84, 98),
        ("sex", 99, 113),
        ("filler", 114, 203),
        ("disability_category", 204, 218),
        ("filler", 219, 248),
        ("age", 249, 263),
        ("educational_environment", 264, 278),
        ("english_learner", 279, 293),
        ("total_indicator", 294, 294),
        ("explanation", 295, 494),
        ("students", 495, 504),
    ),
    ages=("AGE05K", *(str(a) for a in range(6, 22))),
    environments=("RC80", "RC79TO40", "RC39", "SS", "RF", "HH", "CF", "PPPS"),
)

FS089 = FileSpec(
    code="FS089",
    number="089",
    title="Children with disabilities (IDEA) early childhood",
    table_type="CHWDSBERLCHD",
    file_types={
        "SEA": "SEA CHILDREN WITH DISABILITIES (IDEA) EC",
        "LEA": "LEA CHILDREN WITH DISABILITIES (IDEA) EC",
    },
    category_sets=(
        ("CSA", ("age", "disability_category", "educational_environment")),
        ("CSB", ("disability_category", "educational_environment", "race_ethnicity")),
        ("CSC", ("educational_environment", "sex")),
        ("CSD", ("educational_environment", "english_learner")),
        ("ST1", ("sex",)),
        ("ST2", ("age",)),
        ("ST3", ("disability_category",)),
        ("ST4", ("race_ethnicity",)),
        ("ST5", ("english_learner",)),
        ("ST6", ("educational_environment",)),
        ("TOT", ()),
    ),
    record=_fields(
        ("file_record_number", 1, 10),
        ("state_code", 11, 12),
        ("state_agency_number", 13, 14),
        ("lea_id", 15, 28),
        ("filler", 29, 48),
        ("table_type", 49, 68),
        ("race_ethnicity", 69, 83),
        ("sex", 84, 98),
        ("age", 99, 113),
        ("english_learner", 114, 128),
        ("disability_category", 129, 143),
        ("filler", 144, 218),
        ("educational_environment", 219, 278),
        ("total_indicator", 279, 279),
        ("explanation", 280, 479),
        ("students", 480, 489),
    ),
    ages=("3", "4", "AGE05NOTK"),
    environments=(
        "REC10YSVCS",
        "REC10YOTHLOC",
        "REC09YSVCS",
        "REC09YOTHLOC",
        "SC",
        "SS",
        "RF",
        "H",
        "SPL",
    ),
)

SPECS: dict[str, FileSpec] = {s.code: s for s in (FS002, FS089)}
#: The category columns of the federal marts, in the order records are sorted by.
CATEGORY_COLUMNS = (
    "race_ethnicity",
    "sex",
    "disability_category",
    "age",
    "educational_environment",
    "english_learner",
)


def get(code: str) -> FileSpec:
    """The file specification `FS002` or `FS089` (also `002`, `fs089`...)."""
    key = code.upper()
    key = key if key.startswith("FS") else f"FS{key.zfill(3)}"
    try:
        return SPECS[key]
    except KeyError:
        raise ValueError(f"unknown file specification {code!r}; expected FS002 or FS089") from None
