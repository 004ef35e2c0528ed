"""The EDFacts files from a hand-built landing tree, through the real pipeline: the test writes
the CSV files a state receives (two LEAs' placement rosters and counts of parentally placed
children, the state's enrollment and directories), runs `sped pipeline --create` on them once,
then `sped edfacts FS002|FS089 --level SEA|LEA`, and compares the written records with counts
worked out by hand from the children below (docs/federal_files.md; docs/rules/federal_reporting.md).

Every child is counted on 2025-10-01 (the count window's first day; the shipped profile names no
fixed day), ages on that day:

| LEA | child | born | age | grade | disability | environment | race | sex | EL | file |
|---|---|---|---|---|---|---|---|---|---|---|
| 1 | a | 2015-01-01 | 10 | 05 | SLD | RC80 | WH7 | M | N | FS002 |
| 1 | b | 2015-02-01 | 10 | 05 | SLD | RC80 | WH7 | F | Y | FS002 |
| 1 | c | 2013-03-01 | 12 | 07 | AUT | RC79TO40 | HI7 | M | Y | FS002 |
| 1 | k | 2020-06-01 | 5 | KG | SLI | RC80 | BL7 | F | N | FS002, AGE05K |
| 1 | p | 2021-09-01 | 4 | PK | DD | SC | AS7 | M | N | FS089 |
| 1 | q | 2020-03-01 | 5 | PK | SLI | SPL | WH7 | F | N | FS089, AGE05NOTK |
| 1 | pp | 2016-01-01 | 9 | private, plan | SLD | PPPS | HI7 | F | N | FS002 |
| 1 | np | 2016-01-01 | 9 | private, no plan | SLD | | | | | none |
| 2 | d | 2012-01-01 | 13 | 08 | SLD | RC80 | WH7 | M | Y | FS002 |
| 2 | e | 2010-05-01 | 15 | 10 | EMN | SS | WH7 | M | N | FS002 |
| 2 | f | 2007-07-01 | 18 | 12 | ID | RC39 | WH7 | F | N | FS002 |
| 2 | ec | 2021-03-01 | 4 | private, plan | SLI | SPL | WH7 | M | N | FS089 |
"""

from __future__ import annotations

from collections import Counter

import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.federal import flatfile, specs

pytestmark = pytest.mark.slow

L1, L2 = "2500001", "2500002"
YEAR, COUNT_DAY, AS_OF = "2025-26", "2025-10-01", "2026-11-01"

PLACEMENT_COLUMNS = (
    "lea_id,school_year,count_date,student_id,birth_date,grade_level,disability_category,"
    "educational_environment,placement_type,facility_id,facility_state,placement_start_date,"
    "twndp_pct,lre_checklist_on_file,contract_on_file,monitoring_plan_on_file,"
    "transport_minutes_one_way,transport_team_approved,return_criteria_documented,"
    "annual_tuition,race_ethnicity,sex,english_learner"
)
PPPS_COLUMNS = (
    "lea_id,school_year,count_date,student_id,birth_date,private_school_id,"
    "private_school_nonprofit,elementary_or_secondary,home_schooled,resident_state,"
    "disability_category,has_services_plan,race_ethnicity,sex,english_learner,"
    "educational_environment"
)


def _pupil(lea, sid, born, grade, disability, environment, twndp, race, sex, el) -> str:
    checklist = "Y" if twndp <= 40 else ""
    return (
        f"{lea},{YEAR},{COUNT_DAY},{sid},{born},{grade},{disability},{environment},IN_DISTRICT,,,"
        f"2024-09-01,{twndp},{checklist},,,,,,,{race},{sex},{el}"
    )


def _private(lea, sid, born, school, disability, plan, race="", sex="", el="", env="") -> str:
    return (
        f"{lea},{YEAR},{COUNT_DAY},{sid},{born},{school},Y,Y,N,MA,{disability},{plan},"
        f"{race},{sex},{el},{env}"
    )


#: The landing tree: path -> CSV lines (header first).
LANDING = {
    "reference/leas.csv": [
        "lea_id,name,county,lea_type",
        f"{L1},First District,Essex,REGULAR",
        f"{L2},Second District,Middlesex,REGULAR",
    ],
    "reference/facilities.csv": [
        "facility_id,name,facility_type,state,approved,approval_expires",
        "F0042,Riverside Academy,APPROVED_PRIVATE_DAY,MA,Y,2027-06-30",
    ],
    "reference/private_schools.csv": [
        "private_school_id,name,lea_id,nonprofit,level",
        f"A1392029,First Private School,{L1},Y,ELEMENTARY",
        f"B2000001,Second Private School,{L2},Y,COMBINED",
    ],
    f"enrollment/{YEAR}/enrollment.csv": [
        "lea_id,school_year,race_ethnicity,enrolled",
        f"{L1},{YEAR},WH7,300",
        f"{L1},{YEAR},HI7,80",
        f"{L1},{YEAR},BL7,40",
        f"{L1},{YEAR},AS7,30",
        f"{L2},{YEAR},WH7,250",
        f"{L2},{YEAR},HI7,60",
    ],
    f"placements/{L1}/{YEAR}/roster.csv": [
        PLACEMENT_COLUMNS,
        _pupil(L1, "a", "2015-01-01", "05", "SLD", "RC80", 90, "WH7", "M", "N"),
        _pupil(L1, "b", "2015-02-01", "05", "SLD", "RC80", 90, "WH7", "F", "Y"),
        _pupil(L1, "c", "2013-03-01", "07", "AUT", "RC79TO40", 60, "HI7", "M", "Y"),
        _pupil(L1, "k", "2020-06-01", "KG", "SLI", "RC80", 85, "BL7", "F", "N"),
        _pupil(L1, "p", "2021-09-01", "PK", "DD", "SC", 0, "AS7", "M", "N"),
        _pupil(L1, "q", "2020-03-01", "PK", "SLI", "SPL", 60, "WH7", "F", "N"),
    ],
    f"placements/{L2}/{YEAR}/roster.csv": [
        PLACEMENT_COLUMNS,
        _pupil(L2, "d", "2012-01-01", "08", "SLD", "RC80", 95, "WH7", "M", "Y"),
        _pupil(L2, "e", "2010-05-01", "10", "EMN", "SS", 0, "WH7", "M", "N"),
        _pupil(L2, "f", "2007-07-01", "12", "ID", "RC39", 30, "WH7", "F", "N"),
    ],
    f"ppps_count/{L1}/{YEAR}/private.csv": [
        PPPS_COLUMNS,
        _private(L1, "pp", "2016-01-01", "A1392029", "SLD", "Y", "HI7", "F", "N"),
        _private(L1, "np", "2016-01-01", "A1392029", "SLD", "N"),
    ],
    f"ppps_count/{L2}/{YEAR}/private.csv": [
        PPPS_COLUMNS,
        _private(L2, "ec", "2021-03-01", "B2000001", "SLI", "Y", "WH7", "M", "N", "SPL"),
    ],
}

# -- the counts, by hand from the table above ------------------------------------------------
#: FS002 (school age) at the SEA level: 8 children (a, b, c, k, d, e, f and pp).
FS002_SEA = {
    # category set A: disability x race x sex
    ("CSA", "SLD", "WH7", "M"): 2,  # a, d
    ("CSA", "SLD", "WH7", "F"): 1,  # b
    ("CSA", "AUT", "HI7", "M"): 1,  # c
    ("CSA", "SLI", "BL7", "F"): 1,  # k
    ("CSA", "EMN", "WH7", "M"): 1,  # e
    ("CSA", "ID", "WH7", "F"): 1,  # f
    ("CSA", "SLD", "HI7", "F"): 1,  # pp, parentally placed with a services plan
    # subtotal 2: age (the kindergarten 5-year-old is AGE05K)
    ("ST2", "AGE05K"): 1,  # k
    ("ST2", "9"): 1,  # pp
    ("ST2", "10"): 2,  # a, b
    ("ST2", "12"): 1,  # c
    ("ST2", "13"): 1,  # d
    ("ST2", "15"): 1,  # e
    ("ST2", "18"): 1,  # f
    # subtotal 6: environment (PPPS for the parentally placed child)
    ("ST6", "RC80"): 4,  # a, b, k, d
    ("ST6", "RC79TO40"): 1,  # c
    ("ST6", "RC39"): 1,  # f
    ("ST6", "SS"): 1,  # e
    ("ST6", "PPPS"): 1,  # pp
    # subtotal 4: race/ethnicity; 1: sex; 5: English learner status
    ("ST4", "WH7"): 5,  # a, b, d, e, f
    ("ST4", "HI7"): 2,  # c, pp
    ("ST4", "BL7"): 1,  # k
    ("ST1", "M"): 4,  # a, c, d, e
    ("ST1", "F"): 4,  # b, k, f, pp
    ("ST5", "LEP"): 3,  # b, c, d
    ("ST5", "NLEP"): 5,  # a, k, e, f, pp
    ("TOT",): 8,
}
#: FS089 (early childhood) at the SEA level: 3 children (p, q and ec).
FS089_SEA = {
    # category set A: age x disability x environment (q, 5 in pre-K, is AGE05NOTK)
    ("CSA", "4", "DD", "SC"): 1,  # p
    ("CSA", "AGE05NOTK", "SLI", "SPL"): 1,  # q
    ("CSA", "4", "SLI", "SPL"): 1,  # ec, parentally placed: where the plan's services are
    # category set C: environment x sex; D: environment x English learner status
    ("CSC", "SC", "M"): 1,  # p
    ("CSC", "SPL", "F"): 1,  # q
    ("CSC", "SPL", "M"): 1,  # ec
    ("CSD", "SC", "NLEP"): 1,  # p
    ("CSD", "SPL", "NLEP"): 2,  # q, ec
    ("ST2", "4"): 2,  # p, ec
    ("ST2", "AGE05NOTK"): 1,  # q
    ("ST4", "AS7"): 1,  # p
    ("ST4", "WH7"): 2,  # q, ec
    ("TOT",): 3,
}
#: Each LEA's education unit total: FS002 L1 a, b, c, k, pp; L2 d, e, f. FS089 L1 p, q; L2 ec.
LEA_TOTALS = {"FS002": {L1: 5, L2: 3}, "FS089": {L1: 2, L2: 1}}
#: FS002 category set E (disability x environment x EL x sex) of the first LEA.
FS002_L1_CSE = {
    ("SLD", "RC80", "NLEP", "M"): 1,  # a
    ("SLD", "RC80", "LEP", "F"): 1,  # b
    ("AUT", "RC79TO40", "LEP", "M"): 1,  # c
    ("SLI", "RC80", "NLEP", "F"): 1,  # k
    ("SLD", "PPPS", "NLEP", "F"): 1,  # pp
}
#: The categories of each set as they are read back from a record.
KEYS = {
    ("FS002", "CSA"): ("disability_category", "race_ethnicity", "sex"),
    ("FS002", "CSE"): ("disability_category", "educational_environment", "english_learner", "sex"),
    ("FS089", "CSA"): ("age", "disability_category", "educational_environment"),
    ("FS089", "CSC"): ("educational_environment", "sex"),
    ("FS089", "CSD"): ("educational_environment", "english_learner"),
    ("ST1",): ("sex",),
    ("ST2",): ("age",),
    ("ST4",): ("race_ethnicity",),
    ("ST5",): ("english_learner",),
    ("ST6",): ("educational_environment",),
    ("TOT",): (),
}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[tuple[str, str], list[dict[str, str]]]:
    """The landing tree through `sped pipeline --create`, then the four files: {(file, level):
    records}."""
    root = tmp_path_factory.mktemp("federal_landing")
    landing = root / "landing"
    for relative, lines in LANDING.items():
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    inst = Installation(root / "inst" / "warehouse.duckdb")
    run = ["pipeline", "--create", "--warehouse", str(inst.warehouse), "--landing", str(landing)]
    assert main([*run, "--as-of", AS_OF]) == 0

    from sped.run.steps import open_registry

    with open_registry(inst) as registry:
        outcomes = {(s.collection, s.lea_id): s.status for s in registry.submissions()}
    assert set(outcomes.values()) == {"accepted"}, outcomes  # every hand-built file accepted
    assert len(outcomes) == len(LANDING)

    found = {}
    for code in ("FS002", "FS089"):
        for level in ("SEA", "LEA"):
            out = root / f"{code}_{level}.txt"
            args = ["edfacts", code, "--warehouse", str(inst.warehouse), "--school-year", YEAR,
                    "--level", level, "--out", str(out)]  # fmt: skip
            assert main(args) == 0  # every edit check passed and the file was written
            lines = out.read_bytes().decode("ascii").split("\r\n")
            head = flatfile.parse(specs.HEADER, lines[0])
            records = [flatfile.parse(specs.get(code).record, line) for line in lines[1:-1]]
            assert int(head["total_records"]) == len(records)
            found[(code, level)] = records
    return found


def _cells(records: list[dict[str, str]], code: str, lea: str = "") -> dict[tuple, int]:
    """{(category set, its values...): students} of the records of `lea` ("" at SEA level)."""
    spec = specs.get(code)
    cells = {}
    for r in records:
        if r["lea_id"] != lea:
            continue
        used = tuple(c for c in specs.CATEGORY_COLUMNS if r[c])
        names = [n for n, cols in spec.category_sets if set(cols) == set(used)]
        assert len(names) == 1 or r["total_indicator"] == "Y", r
        name = names[0]
        keys = KEYS.get((code, name)) or KEYS.get((name,)) or tuple(dict(spec.category_sets)[name])
        cells[(name, *(r[c] for c in keys))] = int(r["students"])
    return cells


def _subset(cells: dict[tuple, int], wanted: dict[tuple, int]) -> dict[tuple, int]:
    """The cells of the category sets `wanted` names (every cell of those sets)."""
    names = {k[0] for k in wanted}
    return {k: v for k, v in cells.items() if k[0] in names}


def test_fs002_sea_is_the_hand_count(written):
    cells = _cells(written[("FS002", "SEA")], "FS002")
    assert _subset(cells, FS002_SEA) == FS002_SEA
    # every category set and subtotal sums to the education unit total
    sums = Counter()
    for key, n in cells.items():
        sums[key[0]] += n
    assert set(sums.values()) == {8}


def test_fs089_sea_is_the_hand_count(written):
    cells = _cells(written[("FS089", "SEA")], "FS089")
    assert _subset(cells, FS089_SEA) == FS089_SEA
    sums = Counter()
    for key, n in cells.items():
        sums[key[0]] += n
    assert set(sums.values()) == {3}


def test_the_lea_files_are_each_lea_s_hand_count_and_sum_to_the_sea_file(written):
    for code, totals in LEA_TOTALS.items():
        lea_records = written[(code, "LEA")]
        assert {lea: _cells(lea_records, code, lea)[("TOT",)] for lea in totals} == totals
        summed = Counter()
        for lea in totals:
            summed.update(_cells(lea_records, code, lea))
        assert dict(summed) == _cells(written[(code, "SEA")], code)
    cse = _subset(_cells(written[("FS002", "LEA")], "FS002", L1), {("CSE",): 0})
    assert {k[1:]: v for k, v in cse.items()} == FS002_L1_CSE
