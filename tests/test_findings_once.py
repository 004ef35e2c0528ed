"""Each bad cell is reported once, by the rule it breaks (sped/contracts/finding_repeats.py): a date
that cannot be read is a type error, not also a missing value, and a rule that reads it (the
age band of an educational environment) does not flag a correct code in the same row."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from sped.contracts import get
from sped.contracts.finding_repeats import without_repeats
from sped.contracts.findings import Finding
from sped.validation.validate_file import check_file
from tests.raw_rows import pupil

LEA = "0100000"


def roster(path, bad_rows: set[int]) -> None:
    """Six school-age students in regular classes (RC80), the rows in `bad_rows` (0-based)
    with a birth date that is no date."""
    columns = get("placements").column_names
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for i in range(6):
            row = pupil(f"S{i:05d}", "2014-03-02", LEA)
            row |= {"race_ethnicity": "WH7", "sex": "F", "english_learner": "N"}  # 618 columns
            if i in bad_rows:
                row["birth_date"] = "13/45/2014"
            writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])


@pytest.mark.parametrize("gate", ["sql", "gx"])
def test_three_bad_dates_are_three_cells_reported_once(inst, window_profile, tmp_path, gate):
    path = tmp_path / "roster.csv"
    roster(path, {0, 1, 2})
    findings, rows, _ = check_file(
        path,
        "placements",
        LEA,
        "2025-26",
        inst=inst,
        profile=window_profile,
        as_of=dt.date(2026, 11, 1),
        gate=gate,
    )
    assert rows == 6
    errors = [f for f in findings if f.blocking]
    assert [f.rule_id for f in errors] == ["placements.birth_date.type"], errors
    assert errors[0].sample_rows == (2, 3, 4) and errors[0].failed_count == 3


def finding(rule_id: str, rows: tuple[int, ...], column: str, count: int | None = None):
    return Finding(
        submission_id=1,
        rule_id=rule_id,
        severity="blocking",
        text="",
        reference="",
        column=column,
        failed_count=len(rows) if count is None else count,
        sample_rows=rows,
        sample_values=tuple(f"v{r}" for r in rows),
    )


def test_a_rule_keeps_its_other_rows_and_a_sampled_finding_is_left_alone():
    typed = finding("placements.birth_date.type", (2, 3), "birth_date")
    band = finding("placements.educational_environment.age_band", (3, 9), "educational_environment")
    out = without_repeats([typed, band])
    assert out[1].sample_rows == (9,) and out[1].failed_count == 1
    assert out[1].sample_values == ("v9",)
    sampled = finding("placements.birth_date.type", (2, 3), "birth_date", count=500)
    assert without_repeats([sampled, band]) == [sampled, band]
    other = finding("placements.grade_level.type", (3,), "grade_level")
    required = finding("placements.birth_date.required", (3,), "birth_date")
    assert without_repeats([other, required]) == [other, required]  # another column
