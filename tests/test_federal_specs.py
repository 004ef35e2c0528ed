"""The EDFacts specifications by school year (sped/federal/specs.py; docs/federal_files.md, "The
specifications by school year"): the category sets and record layouts are pinned as CEDS
Generate's metadata lists them for 2019-20, 2020-21, 2021-22 and 2022-23 (the same in each), and
each year boundary where something changed is tested on a written record: before 2019-20 the
files are refused; "Intellectual disability" is MR up to 2019-20 and ID from 2020-21; FS089's
age 5 is permitted in 2019-20 only."""

from __future__ import annotations

import pytest

from sped.federal import files, flatfile, specs

#: The category sets of each year 2019-20 through 2022-23, as CEDS Generate lists them (the
#: same for the SEA and LEA files; TOT, the education unit total, has no category).
FS002_SETS = {
    "CSA": {"disability_category", "race_ethnicity", "sex"},
    "CSB": {"age", "disability_category", "educational_environment"},
    "CSC": {"educational_environment", "race_ethnicity"},
    "CSD": {"disability_category", "educational_environment", "sex"},
    "CSE": {"disability_category", "educational_environment", "english_learner", "sex"},
    "ST1": {"sex"},
    "ST2": {"age"},
    "ST3": {"disability_category"},
    "ST4": {"race_ethnicity"},
    "ST5": {"english_learner"},
    "ST6": {"educational_environment"},
    "ST7": {"age", "educational_environment"},
    "TOT": set(),
}
FS089_SETS = {
    "CSA": {"age", "disability_category", "educational_environment"},
    "CSB": {"disability_category", "educational_environment", "race_ethnicity"},
    "CSC": {"educational_environment", "sex"},
    "CSD": {"educational_environment", "english_learner"},
    "ST1": {"sex"},
    "ST2": {"age"},
    "ST3": {"disability_category"},
    "ST4": {"race_ethnicity"},
    "ST5": {"english_learner"},
    "ST6": {"educational_environment"},
    "TOT": set(),
}
#: The category fields' positions, the same in every year (Generate's file columns for
#: 2019-20, 2021-22 and 2022-23).
FS002_FIELDS = {
    "lea_id": (15, 28), "race_ethnicity": (84, 98), "sex": (99, 113),
    "disability_category": (204, 218), "age": (249, 263), "educational_environment": (264, 278),
    "english_learner": (279, 293), "total_indicator": (294, 294), "students": (495, 504),
}  # fmt: skip
FS089_FIELDS = {
    "lea_id": (15, 28), "race_ethnicity": (69, 83), "sex": (84, 98), "age": (99, 113),
    "english_learner": (114, 128), "disability_category": (129, 143),
    "educational_environment": (219, 278), "total_indicator": (279, 279), "students": (480, 489),
}  # fmt: skip
YEARS = ("2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "2024-25", "2025-26")


@pytest.mark.parametrize(
    ("spec", "sets", "fields"),
    [(specs.FS002, FS002_SETS, FS002_FIELDS), (specs.FS089, FS089_SETS, FS089_FIELDS)],
    ids=["FS002", "FS089"],
)
def test_the_category_sets_and_the_layout_are_the_same_in_every_year(spec, sets, fields):
    assert {name: set(cols) for name, cols in spec.category_sets} == sets
    positions = {f.name: (f.start, f.end) for f in spec.record if f.name in fields}
    assert positions == fields
    # one set of category sets and one layout for every year written: an edition changes
    # only permitted values
    assert [spec.edition(year).first_year for year in YEARS] == ["2019-20", *["2020-21"] * 6]


def _record(spec: specs.FileSpec, school_year: str, **values: str) -> dict[str, str]:
    row = {"lea_id": None, "category_set": "CSA", "students": 3}
    row |= {c: values.get(c) for c in specs.CATEGORY_COLUMNS}
    data = files.render([row], spec, "SEA", school_year, "MA", "25")
    head, record = data.decode("ascii").split("\r\n")[:2]
    assert flatfile.parse(specs.HEADER, head)["file_reporting_period"] == (
        f"{school_year[:4]}-{int(school_year[:4]) + 1}"
    )
    return flatfile.parse(spec.record, record)


def test_before_2019_20_the_files_are_refused():
    for spec in specs.SPECS.values():
        with pytest.raises(specs.TooEarly, match=r"start with 2019-20 .*; 2018-19 is earlier"):
            spec.edition("2018-19")
    assert specs.FIRST_SCHOOL_YEAR == "2019-20"


def test_intellectual_disability_is_mr_up_to_2019_20_and_id_from_2020_21():
    for spec in specs.SPECS.values():
        old = _record(spec, "2019-20", disability_category="ID", race_ethnicity="WH7", sex="F")
        new = _record(spec, "2020-21", disability_category="ID", race_ethnicity="WH7", sex="F")
        assert (old["disability_category"], new["disability_category"]) == ("MR", "ID")
        assert old["race_ethnicity"] == new["race_ethnicity"] == "WH7"  # the rest as it was
        other = _record(spec, "2019-20", disability_category="SLD")
        assert other["disability_category"] == "SLD"


def test_fs089_permits_age_5_in_2019_20_only_and_fs002_ages_do_not_change():
    assert "5" in specs.FS089.edition("2019-20").ages
    assert specs.FS089.edition("2020-21").ages == ("3", "4", "AGE05NOTK")
    assert specs.FS089.ages == ("3", "4", "AGE05NOTK")  # the edition in force now
    assert {specs.FS002.edition(y).ages for y in YEARS} == {
        ("AGE05K", *(str(a) for a in range(6, 22)))
    }
    # the warehouse splits 5-year-olds in every year, as 2019-20 permitted and 2020-21 required
    assert _record(specs.FS089, "2019-20", age="AGE05NOTK")["age"] == "AGE05NOTK"
