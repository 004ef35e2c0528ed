"""What `sped edfacts` does: from the published warehouse, the records of one federal file
(FS002 or FS089) for a school year at the SEA or LEA level, after two refusals and the edit
checks (docs/federal_files.md):

1. a school year before 2019-20 is refused (these layouts count 5-year-olds in kindergarten
   as school age, which EDFacts began that year); from 2019-20 the file is written in the
   specification's edition for its year (sped/federal/specs.py `FileSpec.edition`);
2. a year whose rosters in force lack the federal demographics is refused, with one message
   naming the LEAs concerned (their figures stay as they are; only the federal files wait);
3. the federal edit checks run and their failures are listed; the file is written only when
   they all pass, or when the state forces it (`--force`).

Counts are never suppressed: the files go to the U.S. Department of Education.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sped.federal import edit_checks, flatfile
from sped.federal.specs import CATEGORY_COLUMNS, SPECS, STATE_AGENCY_NUMBER, FileSpec, TooEarly

#: Where the federal marts are (the published warehouse's schema).
CATEGORY_SETS = "marts.fct_federal_category_sets"
CHILDREN = "marts.fct_federal_children"


class Refused(ValueError):
    """The federal file cannot be written for this year (the message says why)."""


@dataclass
class Outcome:
    """What became of a request: the checks, and the file when written."""

    checks: list[edit_checks.CheckResult] = field(default_factory=list)
    written: Path | None = None
    records: int = 0

    @property
    def failed(self) -> list[edit_checks.CheckResult]:
        return [c for c in self.checks if not c.passed]


def file_name(spec: FileSpec, level: str, state_code: str, version: int = 1) -> str:
    """The file's name as CEDS Generate names EDFacts files: state, level, table type,
    version (MASEAIDEADISABv01.txt)."""
    return f"{state_code}{level}{spec.table_type}v{version:02d}.txt"


def lacking_demographics(con: duckdb.DuckDBPyConnection, school_year: str) -> list[str]:
    """The LEAs whose count of the year has a child without race/ethnicity, sex or
    English-learner status."""
    rows = con.execute(
        f"SELECT DISTINCT lea_id FROM {CHILDREN} WHERE school_year = ? AND "
        "(race_ethnicity = 'MISSING' OR sex = 'MISSING' OR english_learner = 'MISSING') "
        "ORDER BY lea_id",
        [school_year],
    ).fetchall()
    return [r[0] for r in rows]


def refusal(con: duckdb.DuckDBPyConnection, school_year: str) -> str | None:
    """Why the federal files of the year cannot be written, or None."""
    try:
        for spec in SPECS.values():
            spec.edition(school_year)
    except TooEarly as exc:
        return str(exc)
    (children,) = con.execute(
        f"SELECT count(*) FROM {CHILDREN} WHERE school_year = ?", [school_year]
    ).fetchone()
    if not children:
        return f"no roster in force counts any child in {school_year}"
    leas = lacking_demographics(con, school_year)
    if leas:
        return (
            f"the federal files for {school_year} need race/ethnicity, sex and English-learner "
            f"status for every child, and the rosters in force of {len(leas)} LEA(s) lack "
            f"them: {', '.join(leas)}. Their other figures are unaffected; the files can be "
            "written once these LEAs send rosters with the federal columns"
        )
    return None


def records(
    con: duckdb.DuckDBPyConnection, spec: FileSpec, school_year: str, level: str
) -> list[dict]:
    """The file's records in the order of its category sets, then LEA and category values."""
    order = {name: i for i, (name, _) in enumerate(spec.category_sets)}
    rows = con.execute(
        f"SELECT lea_id, category_set, {', '.join(CATEGORY_COLUMNS)}, students "
        f"FROM {CATEGORY_SETS} WHERE school_year = ? AND file_spec = ? "
        "AND reporting_level = ?",
        [school_year, spec.code, level],
    ).fetchall()
    names = ("lea_id", "category_set", *CATEGORY_COLUMNS, "students")
    out = [dict(zip(names, r, strict=True)) for r in rows]
    out.sort(
        key=lambda r: (
            order[r["category_set"]],
            r["lea_id"] or "",
            *(r[c] or "" for c in CATEGORY_COLUMNS),
        )
    )
    return out


def render(
    rows: list[dict], spec: FileSpec, level: str, school_year: str, state_code: str, fips: str
) -> bytes:
    """The flat file: the header record and one data record per record (total indicator Y
    for subtotals and the education unit total, N for category sets), each code as the
    specification's edition for the school year writes it (MR for ID up to 2019-20)."""
    name = file_name(spec, level, state_code)
    edition = spec.edition(school_year)
    lines = []
    for number, r in enumerate(rows, start=1):
        values = {c: edition.code(c, r[c]) if r[c] else "" for c in CATEGORY_COLUMNS}
        values.update(
            file_record_number=str(number),
            state_code=fips,
            state_agency_number=STATE_AGENCY_NUMBER,
            lea_id=(r["lea_id"] or "") if level == "LEA" else "",
            table_type=spec.table_type,
            total_indicator="N" if r["category_set"].startswith("CS") else "Y",
            students=str(r["students"]),
        )
        lines.append(flatfile.fixed(spec.record, values))
    head = flatfile.header(
        spec.file_types[level], len(lines), name, f"{spec.code} {school_year}", school_year
    )
    return flatfile.document(head, lines)


def produce(
    warehouse: Path,
    spec: FileSpec,
    school_year: str,
    level: str,
    state_code: str,
    fips: str,
    out: Path,
    force: bool = False,
) -> Outcome:
    """Refuse, check, and write the file to `out` unless a check failed and not `force`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        why = refusal(con, school_year)
        if why:
            raise Refused(why)
        outcome = Outcome(checks=edit_checks.run(con, school_year, spec.code))
        if outcome.failed and not force:
            return outcome
        rows = records(con, spec, school_year, level)
    finally:
        con.close()
    data = render(rows, spec, level, school_year, state_code, fips)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)  # a crash leaves no half-written file under the final name
    outcome.written, outcome.records = out, len(rows)
    return outcome
