"""What an auditor is shown of submissions, findings, lineage and an LEA's worksheet: aggregates
only, under the suppression that applies to the counts they imply.

Auditors see beyond the state team and the district, so (docs/rules/identifiers_and_privacy.md,
"What auditors see"):
- no student-level value: a finding keeps its rule, column, severity and text, never the file
  rows it names nor the values found in them (a birth date with its row number is a student's);
- a count of a student-level file's records (its rows, the rows a figure used, the rows that
  failed a rule, its error and warning counts) is a count of students: shown when it is at least
  the profile's `min_cell_size` (else "<N", as the figures pages show small counts), and a
  roster's (`placements`) only when the shared table shows that LEA and school year's number of
  students (`shared.shr_out_of_district.students`), since the roster's rows are those students
  and the shared table may hide that figure as the complement of a small one;
- the worksheet's public counts (the roster's students aged 3-21 and 3-5 on the count date) are
  hidden when the shared tables hide the same LEA-year's students or students aged 3-5;
- a dollar figure computed from a count is hidden when that count is: the required
  proportionate share is the subgrant x PPPS / (PPPS + public) (34 CFR 300.133), so beside the
  subgrant it gives the count back (108,936.26 x 3/63 = 5,187.44), and the shortfall is the
  required share less what was spent.
Files whose rows are not students (directories, allocations, expenditures) keep their counts.
The audit trail's details say the same counts in words ("3 errors, 2 warnings", "57 rows
reloaded ..."): for a student-level file's events they are shown the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

import polars as pl

from sped.contracts import COLLECTIONS
from sped.contracts.findings import Finding

#: collections whose rows are students (or a student's records): they carry `student_id`
STUDENT_COLLECTIONS = frozenset(
    name for name, c in COLLECTIONS.items() if any(col.name == "student_id" for col in c.columns)
)
ROSTER = "placements"
HIDDEN = "suppressed"
#: the dollar figures of the proportionate-share worksheet computed from each program's counts
SHARE_DOLLARS = {
    ("ppps_count_3_21", "public_count_3_21"): ("required_611", "shortfall_611"),
    ("ppps_count_3_5", "public_count_3_5"): ("required_619", "shortfall_619"),
}

Count = int | str | None
#: shown(total, lea_id, school_year): whether the shared tables show that total
#: ("students", "students_3_5"; sped/web/district_data.py shared_totals)
Shown = Callable[[str, str | None, str], bool]


def small(value: object, min_cell: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < min_cell


def shown_count(value: Count, min_cell: int) -> Count:
    """A count of students as auditors see it: "<min_cell" when from 1 to min_cell - 1."""
    return f"<{min_cell}" if small(value, min_cell) else value


def student_count(
    collection: str,
    lea_id: str | None,
    school_year: str,
    value: Count,
    min_cell: int,
    shown: Shown,
) -> Count:
    """A count of `collection`'s records for an LEA and period, as auditors see it."""
    if collection not in STUDENT_COLLECTIONS or value is None:
        return value
    if collection == ROSTER and not shown("students", lea_id, school_year):
        return HIDDEN
    return shown_count(value, min_cell)


def findings(found: Iterable[Finding], collection: str, min_cell: int) -> list[Finding]:
    """Findings without rows or values; a student-level file's failing-row count suppressed."""
    student = collection in STUDENT_COLLECTIONS
    return [
        replace(
            f,
            sample_rows=(),
            sample_values=(),
            failed_count=shown_count(f.failed_count, min_cell) if student else f.failed_count,
        )
        for f in found
    ]


def submission(sub, min_cell: int, shown: Shown):
    """A registry submission with its row, error and warning counts as auditors see them."""
    if sub.collection not in STUDENT_COLLECTIONS:
        return sub
    return replace(
        sub,
        row_count=student_count(
            sub.collection, sub.lea_id, sub.period, sub.row_count, min_cell, shown
        ),
        error_count=shown_count(sub.error_count, min_cell),
        warning_count=shown_count(sub.warning_count, min_cell),
    )


def lineage_rows(
    rows: list[dict],
    lea_id: str,
    school_year: str,
    min_cell: int,
    shown: Shown,
) -> list[dict]:
    """The lineage of a figure with each student-level input's `rows_used` suppressed."""
    return [
        {
            **r,
            "rows_used": student_count(
                r["collection"], lea_id, school_year, r["rows_used"], min_cell, shown
            ),
        }
        for r in rows
    ]


def share_rows(
    original: list[dict], shown_rows: list[dict], min_cell: int, shown: Shown
) -> list[dict]:
    """The worksheet rows `shown_rows` (small counts already "<N") with the public counts the
    shared tables hide (the roster's students aged 3-21 and 3-5 of the count's school year)
    hidden too, and every dollar figure hidden whose program has a small or hidden count."""
    out = []
    for before, after in zip(original, shown_rows, strict=True):
        row = dict(after)
        year = before.get("count_school_year") or ""
        for total, column in (
            ("students", "public_count_3_21"),
            ("students_3_5", "public_count_3_5"),
        ):
            if small(before.get(column), min_cell) or before.get(column) is None:
                continue
            if not shown(total, before.get("lea_id"), year):
                row[column] = HIDDEN
        for counts, dollars in SHARE_DOLLARS.items():
            if any(small(before.get(c), min_cell) or row.get(c) == HIDDEN for c in counts):
                row.update({d: HIDDEN for d in dollars if row.get(d) is not None})
        out.append(row)
    return out


_COUNTED = re.compile(r"\b(\d+) (rows?|errors?|warnings?)\b")


def trail_detail(collection: str | None, detail: str | None, min_cell: int) -> str | None:
    """An audit event's detail with its counts of a student-level file's records as auditors
    see them (a roster's rows never: they are the LEA's students)."""
    if not detail or collection not in STUDENT_COLLECTIONS:
        return detail

    def counted(match: re.Match) -> str:
        n, what = int(match.group(1)), match.group(2)
        if collection == ROSTER and what.startswith("row"):
            return f"({HIDDEN}) {what}"
        return f"{shown_count(n, min_cell)} {what}"

    return _COUNTED.sub(counted, detail)


def trail(frame: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    """The audit trail (sped/dashboards/audit_trail.py) as auditors see it."""
    details = [
        trail_detail(c, d, min_cell)
        for c, d in zip(frame["collection"].to_list(), frame["detail"].to_list(), strict=True)
    ]
    return frame.with_columns(pl.Series("detail", details, dtype=pl.String))
