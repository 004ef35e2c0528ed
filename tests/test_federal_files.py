"""The EDFacts child-count files (FS002, FS089): a hand-built count of two LEAs whose every
cell of one category set is worked out by hand comes out in the written file; the LEA file sums
to the SEA file; the header counts the records; the edit checks pass on a sound build and fail
on a deliberately broken one (and then nothing is written unless forced); a year whose rosters
lack the federal columns is refused, naming the LEAs."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.federal import edit_checks, files, flatfile, specs
from tests.raw_rows import YEAR, insert, kid, new_warehouse, pupil, run_dbt

L1, L2 = "2500001", "2500002"
FEDERAL = "stg_placements stg_ppps_count fct_federal_children fct_federal_category_sets"
MACRO = Path(__file__).resolve().parents[1] / "dbt" / "macros" / "federal_category_set_records.sql"


def person(race: str, sex: str, el: bool) -> dict:
    return {"race_ethnicity": race, "sex": sex, "english_learner": el}


#: The count, by hand. School age (FS002): L1 has four children on its roster and one
#: parentally placed child with a plan; L2 three on its roster. Early childhood (FS089): one
#: preschooler on each roster and L2's parentally placed 4-year-old with a plan.
ROSTER = {
    L1: [
        pupil("a", "2015-01-01", L1, disability_category="SLD", **person("WH7", "M", False)),
        pupil("b", "2015-02-01", L1, disability_category="SLD", **person("WH7", "F", True)),
        pupil("c", "2013-03-01", L1, disability_category="AUT", **person("HI7", "M", True)),
        pupil("k", "2020-06-01", L1, grade_level="KG", disability_category="SLI",
              **person("BL7", "F", False)),
        pupil("p", "2021-09-01", L1, grade_level="PK", educational_environment="SC",
              twndp_pct=0.0, disability_category="DD", **person("AS7", "M", False)),
    ],
    L2: [
        pupil("d", "2012-01-01", L2, disability_category="SLD", **person("HI7", "M", True)),
        pupil("e", "2010-05-01", L2, disability_category="EMN", educational_environment="SS",
              twndp_pct=0.0, **person("WH7", "M", False)),
        pupil("f", "2014-07-01", L2, disability_category="SLD", **person("WH7", "M", False)),
        pupil("q", "2020-08-01", L2, grade_level="PK", educational_environment="SPL",
              twndp_pct=60.0, disability_category="SLI", **person("WH7", "F", False)),
    ],
}  # fmt: skip
PRIVATE = {
    L1: [
        kid("pp", "2016-01-01", L1, disability_category="SLD", **person("HI7", "F", False)),
        kid("none", "2016-01-01", L1, has_services_plan=False, **person("HI7", "F", False)),
    ],
    L2: [
        kid("ec", "2021-03-01", L2, disability_category="SLI", educational_environment="SPL",
            **person("WH7", "M", False)),
    ],
}  # fmt: skip
#: FS002 category set A (disability x race x sex), SEA level, worked out by hand from the
#: rows above: every school-age child once, the parentally placed one (with a plan) included.
FS002_CSA_SEA = {
    ("SLD", "WH7", "M"): 2,  # a, f
    ("SLD", "WH7", "F"): 1,  # b
    ("AUT", "HI7", "M"): 1,  # c
    ("SLI", "BL7", "F"): 1,  # k (5 in kindergarten: school age)
    ("SLD", "HI7", "M"): 1,  # d
    ("EMN", "WH7", "M"): 1,  # e
    ("SLD", "HI7", "F"): 1,  # pp (parentally placed, PPPS)
}


def _build(root: Path, profile, roster=ROSTER, private=PRIVATE) -> Path:
    warehouse = root / "warehouse.duckdb"
    con = new_warehouse(warehouse)
    sid = 1
    for lea in (L1, L2):
        insert(con, "placements", roster[lea], lea_id=lea, period=YEAR, submission_id=sid)
        insert(con, "ppps_count", private[lea], lea_id=lea, period=YEAR, submission_id=sid + 1)
        sid += 2
    con.close()
    run_dbt(warehouse, root / "target", profile.dbt_vars(), select=FEDERAL)
    return warehouse


@pytest.fixture(scope="module")
def built(tmp_path_factory, profile) -> Path:
    return _build(tmp_path_factory.mktemp("federal"), profile)


def _write(warehouse: Path, code: str, level: str, out: Path, force: bool = False):
    return files.produce(warehouse, specs.get(code), YEAR, level, "MA", "25", out, force=force)


def _records(path: Path, spec) -> tuple[dict, list[dict]]:
    lines = path.read_bytes().decode("ascii").split("\r\n")
    assert lines[-1] == ""
    head = flatfile.parse(specs.HEADER, lines[0])
    return head, [flatfile.parse(spec.record, line) for line in lines[1:-1]]


def test_every_cell_of_fs002_category_set_a_is_the_hand_count(built, tmp_path):
    out = tmp_path / "fs002_sea.txt"
    outcome = _write(built, "FS002", "SEA", out)
    assert outcome.failed == [] and outcome.written == out
    head, records = _records(out, specs.FS002)
    csa = {
        (r["disability_category"], r["race_ethnicity"], r["sex"]): int(r["students"])
        for r in records
        if r["total_indicator"] == "N" and r["age"] == "" and r["educational_environment"] == ""
        and r["english_learner"] == ""
    }  # fmt: skip
    assert csa == FS002_CSA_SEA
    total = [r for r in records if r["total_indicator"] == "Y" and not any(
        r[c] for c in specs.CATEGORY_COLUMNS)]  # fmt: skip
    assert [int(r["students"]) for r in total] == [8]
    # the header: file type, the number of data records, the name and the reporting period
    assert head["file_type"] == "SEA CHILDREN WITH DISABILITIES"
    assert int(head["total_records"]) == len(records) == outcome.records
    assert head["file_reporting_period"] == "2025-2026"
    assert [int(r["file_record_number"]) for r in records] == list(range(1, len(records) + 1))
    assert {(r["state_code"], r["state_agency_number"], r["lea_id"]) for r in records} == {
        ("25", "01", "")
    }
    # ages: the kindergarten 5-year-old is AGE05K; PPPS is an environment of the file
    ages = {r["age"] for r in records if r["age"]}
    assert "AGE05K" in ages and ages <= set(specs.FS002.ages)
    assert "PPPS" in {r["educational_environment"] for r in records}
    # every line has the layout's width
    widths = {len(line) for line in out.read_bytes().decode("ascii").split("\r\n")[1:-1]}
    assert widths == {specs.FS002.record[-1].end}


def test_fs089_counts_the_early_childhood_children_and_the_lea_file_sums_to_the_sea(
    built, tmp_path
):
    for code in ("FS002", "FS089"):
        spec = specs.get(code)
        _write(built, code, "SEA", tmp_path / f"{code}_sea.txt")
        _write(built, code, "LEA", tmp_path / f"{code}_lea.txt")
        _, sea = _records(tmp_path / f"{code}_sea.txt", spec)
        _, lea = _records(tmp_path / f"{code}_lea.txt", spec)
        assert {r["lea_id"] for r in lea} == {L1, L2}

        def key(r):
            return (r["total_indicator"], *(r[c] for c in specs.CATEGORY_COLUMNS))

        summed = Counter()
        for r in lea:
            summed[key(r)] += int(r["students"])
        assert summed == Counter({key(r): int(r["students"]) for r in sea})
    _, ec = _records(tmp_path / "FS089_sea.txt", specs.FS089)
    tot = [r for r in ec if r["total_indicator"] == "Y" and not any(
        r[c] for c in specs.CATEGORY_COLUMNS)]  # fmt: skip
    assert [int(r["students"]) for r in tot] == [3]  # p, q and the parentally placed 4-year-old
    ages = Counter()
    for r in ec:
        if r["total_indicator"] == "Y" and r["age"] and not r["educational_environment"]:
            ages[r["age"]] += int(r["students"])
    assert ages == Counter({"4": 2, "AGE05NOTK": 1})  # p and ec are 4, q is 5 in preschool
    spl = [r for r in ec if r["educational_environment"] == "SPL" and r["sex"]]
    assert sorted((r["sex"], int(r["students"])) for r in spl) == [("F", 1), ("M", 1)]


def test_the_category_sets_are_the_specifications(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        for spec in specs.SPECS.values():
            rows = con.execute(
                f"SELECT category_set, {', '.join(specs.CATEGORY_COLUMNS)} FROM "
                "marts.fct_federal_category_sets WHERE file_spec = ?",
                [spec.code],
            ).fetchall()
            found: dict[str, set] = {}
            for name, *values in rows:
                used = {c for c, v in zip(specs.CATEGORY_COLUMNS, values, strict=True) if v}
                found.setdefault(name, set()).update(used)
            assert found == {name: set(cols) for name, cols in spec.category_sets}
    finally:
        con.close()
    text = MACRO.read_text(encoding="utf-8")
    for spec in specs.SPECS.values():
        block = text[text.index(f"'{spec.code}'") :]
        for name, cols in spec.category_sets:
            assert re.search(rf"\('{name}', \[{', '.join(repr(c) for c in cols)}\]\)", block)


def test_the_edit_checks_pass_on_a_sound_build_and_fail_on_a_broken_one(built, tmp_path):
    con = duckdb.connect(str(built), read_only=True)
    assert all(c.passed for c in edit_checks.run(con, YEAR, "FS002"))
    con.close()
    assert len(edit_checks.load()) == 5
    broken = tmp_path / "broken.duckdb"
    shutil.copy(built, broken)
    con = duckdb.connect(str(broken))
    # one LEA record off by one, and a child counted twice
    con.execute(
        "UPDATE marts.fct_federal_category_sets SET students = students + 1 WHERE "
        "file_spec = 'FS002' AND reporting_level = 'LEA' AND category_set = 'CSA' AND "
        f"lea_id = '{L1}' AND disability_category = 'AUT'"
    )
    con.execute(
        "INSERT INTO marts.fct_federal_children SELECT * FROM marts.fct_federal_children "
        "WHERE student_id = 'a'"
    )
    failed = {c.name: c for c in edit_checks.run(con, YEAR, "FS002") if not c.passed}
    con.close()
    assert set(failed) == {
        "federal_category_sets_sum_to_the_total",
        "federal_lea_files_sum_to_the_sea_file",
        "federal_no_child_counted_twice",
        # the child counted twice is one child more than the files hold
        "federal_totals_equal_the_rosters",
    }
    assert all("student_id" not in c.columns for c in failed.values())
    out = tmp_path / "not_written.txt"
    outcome = _write(broken, "FS002", "LEA", out)
    assert outcome.written is None and not out.exists() and len(outcome.failed) == 4
    outcome = _write(broken, "FS002", "LEA", out, force=True)
    assert outcome.written == out and out.exists()


def test_the_command_writes_the_file_and_refuses_a_broken_build(built, tmp_path, capsys):
    inst = Installation(tmp_path / "inst" / "warehouse.duckdb").create()
    shutil.copy(built, inst.published_warehouse)
    out = tmp_path / "MASEAIDEADISABv01.txt"
    args = ["edfacts", "FS002", "--warehouse", str(inst.warehouse), "--school-year", YEAR,
            "--level", "SEA", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    said = capsys.readouterr().out
    assert said.count("passed") == 5 and "wrote" in said and out.exists()
    con = duckdb.connect(str(inst.published_warehouse))
    con.execute(
        "UPDATE marts.fct_federal_category_sets SET students = 0 WHERE category_set = 'TOT'"
    )
    con.close()
    out.unlink()
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "FAILED  federal_category_sets_sum_to_the_total" in captured.out
    assert "not written" in captured.err and not out.exists()
    assert main([*args, "--force"]) == 0 and out.exists()
    assert main([*args[:5], "2017-18", *args[6:]]) == 2


def test_a_year_whose_rosters_lack_the_federal_columns_is_refused_naming_the_leas(
    tmp_path, profile
):
    bare = {lea: [{k: v for k, v in row.items() if k != "sex"} for row in rows]
            for lea, rows in ROSTER.items()}  # fmt: skip
    bare[L1] = ROSTER[L1]  # L1 sent the new columns, L2 an older roster without sex
    warehouse = _build(tmp_path, profile, roster=bare)
    with pytest.raises(files.Refused, match=f"of 1 LEA\\(s\\) lack them: {L2}\\."):
        _write(warehouse, "FS002", "SEA", tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_the_lre_breakdowns_and_the_federal_files_section_read_the_same_count(built):
    from sped.dashboards import federal

    con = duckdb.connect(str(built), read_only=True)
    try:
        by_sex = federal.lre_breakdown(con, YEAR, "sex")
        cells = {
            (r["group"], r["educational_environment"]): (r["students"], r["percent_of_group"])
            for r in by_sex.iter_rows(named=True)
        }
        # school age without the parentally placed: a, c, d, f (M) and b, k (F) in RC80; e (M) SS
        assert cells == {
            ("M", "RC80"): (4, 80.0),
            ("M", "SS"): (1, 20.0),
            ("F", "RC80"): (2, 100.0),
        }
        assert set(by_sex["group_name"]) == {"Male", "Female"}
        charts = federal.lre_breakdown_charts(con, YEAR)
        assert [c.id for c in charts] == [f"lre-by-{b}" for b in federal.BREAKDOWNS]
        section = federal.federal_files(con, YEAR)
        assert [(f.code, f.ready, len(f.checks)) for f in section] == [
            ("FS002", True, 5),
            ("FS089", True, 5),
        ]
        name, body = federal.file_bytes(con, "FS089", "LEA", YEAR, "MA", "25")
        assert name == "MALEACHWDSBERLCHDv01.txt"
        assert body.startswith(b"LEA CHILDREN WITH DISABILITIES (IDEA) EC")
    finally:
        con.close()
