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

By school year (docs/federal_files.md, "The specifications by school year", has the sources):
the category sets, subtotals and record layouts are the same in every year from 2019-20 (CEDS
Generate's metadata for 2019-20, 2020-21, 2021-22 and 2022-23 list the same sets and field
positions; its 2023-24 metadata rolls them over unchanged). What changed is two permitted
values, at the 2019-20 | 2020-21 boundary (the SY 2020-21 specifications; FS089 v17.0 records
both): "Intellectual disability" is `MR` up to 2019-20 and `ID` from 2020-21 in both files
(Rosa's Law; Generate's FS002 metadata and count logic agree), and FS089's age `5`
(every 5-year-old, for a state not yet splitting them) is permitted in 2019-20 only, the
transition year of 5-year-olds in kindergarten into FS002. Each `Edition` says what one run of
years permits; `FileSpec.edition(school_year)` picks it, and the writer puts the edition's codes
in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
class Edition:
    """What a file specification permits from one school year on (until the next edition):
    its ages, and the codes the file writes where they differ from the warehouse's."""

    first_year: str  # the first school year it applies to, e.g. 2020-21
    source: str  # where the facts come from
    ages: tuple[str, ...]
    #: category -> {warehouse code: the file's code}, for the codes this edition spells otherwise
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)

    def code(self, category: str, value: str) -> str:
        """`value` of `category` as this edition writes it."""
        return self.renamed.get(category, {}).get(value, value)


class TooEarly(ValueError):
    """A school year before the first edition written here."""


@dataclass(frozen=True)
class FileSpec:
    """One file specification: its codes, category sets and data record layout per level, and
    its editions by school year."""

    code: str  # FS002
    number: str  # 002
    title: str
    table_type: str
    file_types: dict[str, str]  # level -> the header's file type
    category_sets: tuple[tuple[str, tuple[str, ...]], ...]
    record: tuple[Field, ...]  # the data record (the LEA id field is blank in the SEA file)
    environments: tuple[str, ...]
    editions: tuple[Edition, ...]  # oldest first

    @property
    def first_year(self) -> str:
        return self.editions[0].first_year

    @property
    def ages(self) -> tuple[str, ...]:
        """The ages of the edition in force now (the latest)."""
        return self.editions[-1].ages

    def edition(self, school_year: str) -> Edition:
        """The edition in force for `school_year` (YYYY-YY)."""
        if school_year < self.first_year:
            raise TooEarly(
                f"the EDFacts layouts written here start with {self.first_year} (5-year-olds in "
                f"kindergarten counted as school age); {school_year} is earlier"
            )
        return [e for e in self.editions if e.first_year <= school_year][-1]


_SCHOOL_AGES = ("AGE05K", *(str(a) for a in range(6, 22)))
#: Up to 2019-20 "Intellectual disability" is MR in the files (ID from 2020-21, Rosa's Law).
_INTELLECTUAL_DISABILITY_MR = {"disability_category": {"ID": "MR"}}

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
    environments=("RC80", "RC79TO40", "RC39", "SS", "RF", "HH", "CF", "PPPS"),
    editions=(
        Edition(
            "2019-20",
            "FS002 v16.0 (SY 2019-20); CEDS Generate 3.4 metadata for 2019-20",
            ages=_SCHOOL_AGES,
            renamed=_INTELLECTUAL_DISABILITY_MR,
        ),
        Edition(
            "2020-21",
            "the SY 2020-21 specification (MR became ID, as FS089 v17.0 records for both "
            "files' disability category; CEDS Generate 3.7 release notes, CIID-3947); CEDS "
            "Generate 5.0 metadata for 2020-21, 2021-22 and its 11.x metadata for 2022-23",
            ages=_SCHOOL_AGES,
        ),
    ),
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
    editions=(
        Edition(
            "2019-20",
            "FS089 v16.0 (SY 2019-20); CEDS Generate 3.4 metadata for 2019-20",
            ages=("3", "4", "5", "AGE05NOTK"),
            renamed=_INTELLECTUAL_DISABILITY_MR,
        ),
        Edition(
            "2020-21",
            "FS089 v17.0 (SY 2020-21): MR became ID, age 5 removed; CEDS Generate 5.0 metadata "
            "for 2020-21, 2021-22 and its 11.x metadata for 2022-23",
            ages=("3", "4", "AGE05NOTK"),
        ),
    ),
)

SPECS: dict[str, FileSpec] = {s.code: s for s in (FS002, FS089)}
#: The first school year of these layouts: EDFacts counts a 5-year-old in kindergarten as
#: school age (AGE05K) from 2019-20 (optional that year, required from 2020-21).
FIRST_SCHOOL_YEAR = min(s.first_year for s in SPECS.values())
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
