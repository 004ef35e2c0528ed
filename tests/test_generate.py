"""The synthetic state generator: same seed same bytes, the contracts' layout and headers,
realistic shape (ages, grades and environments agree, out-of-district rate near 6%, monitoring
gaps, PPPS edge cases, carryover spending), the manifest, the defects, and calibration files that
equal a fresh derivation from the real public data shipped in sped/reference/public/."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from sped.config.profile import load_profile
from sped.contracts import COLLECTIONS, codes
from sped.generate import calibration, generate, school_years, writers
from sped.generate.defects import DEFECTS, WARNING_ONLY
from sped.landing.layout import declared_key, walk

REALDATA = Path(__file__).resolve().parents[1] / "sped" / "reference" / "public"
SEED = 11
AS_OF = dt.date(2026, 11, 1)


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "a"
    generate(out, scale="small", years=2, seed=SEED)
    return out


@pytest.fixture(scope="module")
def manifest(state) -> dict:
    return json.loads((state / "_manifest.json").read_text(encoding="utf-8"))


def _iso(value: str | None) -> str | None:
    if value and "/" in value:
        m, d, y = value.split("/")
        return dt.date(int(y), int(m), int(d)).isoformat()
    return value


def _read(path: Path, encoding: str = "utf-8") -> pl.DataFrame:
    """Any generated file as a frame of strings, dates normalised to ISO."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))

        def text(v):
            if isinstance(v, dt.datetime):
                return v.date().isoformat()
            return None if v is None else str(v)

        return pl.DataFrame(
            [[text(v) for v in r] for r in rows[1:]],
            schema={str(c): pl.String for c in rows[0]},
            orient="row",
        )
    frame = pl.read_csv(io.BytesIO(path.read_bytes().decode(encoding).encode()), infer_schema=False)
    return frame.with_columns(
        pl.col(c).map_elements(_iso, return_dtype=pl.String)
        for c in frame.columns
        if c.endswith("_date")
    )


def _clean(state: Path, manifest: dict, collection: str) -> pl.DataFrame:
    frames = [
        _read(state / f["path"])
        for f in manifest["files"]
        if f["collection"] == collection and not f.get("defect") and not f.get("copy_of")
    ]
    return pl.concat(frames, how="vertical")


def _age(birth: str, on: str) -> int:
    b, d = dt.date.fromisoformat(birth), dt.date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def test_same_seed_same_bytes_other_seed_differs(state, manifest, tmp_path):
    assert any(f["path"].endswith(".xlsx") for f in manifest["files"])  # XLSX is covered too
    generate(tmp_path / "b", scale="small", years=2, seed=SEED)
    assert _digest(tmp_path / "b") == _digest(state)
    generate(tmp_path / "c", scale="small", years=2, seed=SEED + 1)
    assert _digest(tmp_path / "c") != _digest(state)


def test_xlsx_has_fixed_timestamps_text_ids_and_real_dates(tmp_path):
    frame = pl.DataFrame({"student_id": ["0004812345"], "birth_date": ["2015-03-04"]})
    a = writers.write_xlsx(frame, tmp_path / "a.xlsx", ["birth_date"])
    time.sleep(1.1)
    b = writers.write_xlsx(frame, tmp_path / "b.xlsx", ["birth_date"])
    assert a == b and (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").worksheets[0]
    assert ws["A2"].value == "0004812345" and ws["A2"].data_type == "s"
    assert ws["B2"].value == dt.datetime(2015, 3, 4)


def test_layout_and_headers_match_the_contracts(state, manifest):
    by_path = {f["path"]: f for f in manifest["files"]}
    assert {"leas.csv", "facilities.csv", "private_schools.csv"} == {
        p.name for p in (state / "reference").iterdir()
    }
    for path in walk(state):
        rel = path.relative_to(state).as_posix()
        key = declared_key(path.relative_to(state))
        entry = by_path[rel]
        assert (entry["collection"], entry["lea_id"], entry["period"]) == (
            key.collection,
            key.lea_id,
            key.period,
        )
        header = _read(path, entry.get("encoding", "utf-8")).columns
        expected = list(COLLECTIONS[key.collection].column_names)
        if entry.get("defect") == "missing_column":
            assert len(header) == len(expected) - 1 and set(header) < set(expected)
        elif entry.get("defect") == "cp1252_accented_name":
            assert header == [*expected, "student_name"]
        else:
            assert header == expected, rel
        if key.lea_id:
            stem = Path(rel).stem.removesuffix("_v2").removesuffix("_copy")
            assert stem == f"{key.collection}_{key.lea_id}_{key.period}"
    lea_ids = _read(state / "reference" / "leas.csv")["lea_id"]
    assert lea_ids.str.contains(load_profile().lea_id_pattern).all()
    assert set(_read(state / "reference" / "leas.csv")["lea_type"]) == set(codes.LEA_TYPES)


def test_manifest_agrees_with_the_files(state, manifest):
    listed = {f["path"] for f in manifest["files"]}
    assert listed == {p.relative_to(state).as_posix() for p in walk(state)}
    for f in manifest["files"]:
        assert _read(state / f["path"], f.get("encoding", "utf-8")).height == f["rows"], f["path"]
    assert manifest["school_years"] == ["2024-25", "2025-26"]
    assert (manifest["seed"], manifest["scale"], manifest["years"]) == (SEED, "small", 2)
    periods = {f["period"] for f in manifest["files"] if f["collection"] == "expenditures"}
    assert periods == {"2025", "2026"}
    assert sorted(p.name for p in (state / "allocations").iterdir()) == ["2025", "2026"]


def test_defects_resubmissions_and_the_identical_copy(state, manifest):
    defective = [f for f in manifest["files"] if f.get("defect")]
    district = [f for f in manifest["files"] if f["lea_id"] and not f.get("copy_of")]
    assert 3 <= len(defective) <= 0.12 * len(district)
    for f in defective:
        assert f["collection"] in DEFECTS[f["defect"]]
    v2 = [f for f in manifest["files"] if f.get("resubmission_of")]
    assert v2 and all(f["path"].endswith("_v2.csv") for f in v2)
    for f in v2:  # the corrected file sorts after the original in the same folder
        original = f["path"].replace("_v2.csv", ".csv")
        assert original < f["path"] and any(g["path"] == original for g in defective)
    copies = [f for f in manifest["files"] if f.get("copy_of")]
    assert len(copies) == 1
    assert (state / copies[0]["path"]).read_bytes() == (state / copies[0]["copy_of"]).read_bytes()


def test_each_defect_kind_breaks_what_it_says(tmp_path):
    """Across a few seeds every kind occurs; each file is wrong in its own way."""
    seen = Counter()
    for seed in range(4):
        out = tmp_path / str(seed)
        generate(out, scale="small", years=1, seed=seed)
        manifest = json.loads((out / "_manifest.json").read_text())
        for f in manifest["files"]:
            kind = f.get("defect")
            if not kind:
                continue
            seen[kind] += 1
            data = (out / f["path"]).read_bytes()
            if kind == "cp1252_accented_name":
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
                continue
            frame = _read(out / f["path"]) if kind != "bad_dates" else None
            if kind == "wrong_lea":
                assert (frame["lea_id"] != f["lea_id"]).all()
            elif kind == "duplicate_rows":
                key = "expenditure_id" if f["collection"] == "expenditures" else "student_id"
                assert frame[key].is_duplicated().any()
            elif kind == "bad_dates":
                assert b"13/45/" in data
            elif kind == "count_date_outside_window":
                assert frame["count_date"].str.ends_with("-09-30").all()
    assert len(seen) >= 6, seen
    assert set(seen) <= set(DEFECTS) and WARNING_ONLY


def test_ids_keep_leading_zeros(state, manifest):
    ids = _clean(state, manifest, "placements")["student_id"]
    assert ids.str.starts_with("0").any() and ids.str.contains("^[A-Za-z0-9]{1,20}$").all()
    raw = next((state / "placements").rglob("*.csv")).read_text()
    assert ",00" in raw or ",S" in raw


def test_placements_agree_with_age_grade_environment_and_twndp(state, manifest):
    rows = _clean(state, manifest, "placements").to_dicts()
    assert len(rows) > 10_000
    dd_lo, dd_hi = load_profile().dd_age_range
    band = {"RC80": (80, 100), "RC79TO40": (40, 79.99), "RC39": (0, 39.99)}
    for r in rows:
        age = _age(r["birth_date"], r["count_date"])
        assert 3 <= age <= 21
        school_age = age >= 6 or (age == 5 and r["grade_level"] == "KG")
        allowed = (
            codes.SCHOOL_AGE_ENVIRONMENTS if school_age else codes.EARLY_CHILDHOOD_ENVIRONMENTS
        )
        assert r["educational_environment"] in allowed, r
        if r["grade_level"].isdigit():  # grade 12 also holds 18-21 year olds
            grade = int(r["grade_level"])
            assert abs(grade - (age - 5)) <= 1 or (grade == 12 and age >= 16), r
        assert r["grade_level"] in codes.GRADE_LEVELS
        if r["disability_category"] == "DD":
            assert dd_lo <= age <= dd_hi
        if r["educational_environment"] in band:
            lo, hi = band[r["educational_environment"]]
            assert lo <= float(r["twndp_pct"]) <= hi
        assert r["placement_start_date"] <= r["count_date"]


def test_out_of_district_rate_types_and_facilities(state, manifest):
    frame = _clean(state, manifest, "placements")
    ood = frame.filter(pl.col("placement_type") != "IN_DISTRICT")
    assert 0.04 <= ood.height / frame.height <= 0.09
    private = ood["placement_type"].is_in(list(codes.PRIVATE_OR_OUT_OF_STATE)).mean()
    assert 0.45 <= private <= 0.8
    facilities = _read(state / "reference" / "facilities.csv")
    assert set(facilities["facility_type"]) == set(codes.FACILITY_TYPES)
    assert ood["facility_id"].is_in(facilities["facility_id"].implode()).all()
    oos = ood.filter(pl.col("placement_type") == "OUT_OF_STATE")
    assert oos.height and (oos["facility_state"] != "MA").all()
    assert (ood["contract_on_file"] == "N").any() and (ood["monitoring_plan_on_file"] == "N").any()
    long = frame.filter(pl.col("transport_minutes_one_way").cast(pl.Int64) > 60)
    assert set(long["transport_team_approved"]) == {"Y", "N"}
    tuition = ood.filter(pl.col("placement_type") == "APPROVED_PRIVATE_DAY")["annual_tuition"]
    assert tuition.cast(pl.Float64).is_between(40_000, 100_000).all()
    rates = frame.group_by("lea_id").agg((pl.col("placement_type") != "IN_DISTRICT").mean())
    assert rates["placement_type"].max() > 2 * rates["placement_type"].min()


def test_students_carry_over_to_the_next_year(state, manifest):
    frame = _clean(state, manifest, "placements")
    a = frame.filter(pl.col("school_year") == "2024-25")
    b = frame.filter(pl.col("school_year") == "2025-26")
    both = a.join(b, on=["lea_id", "student_id"], suffix="_next")
    assert 0.75 <= both.height / a.height <= 0.95
    assert (both["birth_date"] == both["birth_date_next"]).all()
    graded = both.filter(
        pl.col("grade_level").str.contains("^[0-9]+$") & (pl.col("grade_level") != "12")
    )
    assert (
        graded["grade_level"].cast(pl.Int64) + 1 == graded["grade_level_next"].cast(pl.Int64)
    ).all()


def test_monitoring_has_gaps_and_noncounting_monitors(state, manifest):
    log = _clean(state, manifest, "monitoring_log")
    who = Counter(log["conducted_by"])
    assert who["DISTRICT_STAFF"] > who["CONTRACTED_MONITOR"] > who["PARENT"] > 0
    assert who["PLACEMENT_STAFF"] > 0
    assert set(log["activity_type"]) == set(codes.ACTIVITY_TYPES)
    placed = _clean(state, manifest, "placements").filter(pl.col("placement_type") != "IN_DISTRICT")
    counted = log.filter(pl.col("conducted_by").is_in(list(codes.COUNTABLE_MONITORS)))
    monitored = placed.join(counted, on=["lea_id", "school_year", "student_id"], how="semi")
    assert 0.75 < monitored.height / placed.height < 0.97  # some students have no monitoring
    assert (log["activity_date"] <= AS_OF.isoformat()).all()


def test_ppps_children_include_the_edge_cases(state, manifest):
    profile = load_profile()
    kids = _clean(state, manifest, "ppps_count")
    assert {"Y", "N"} <= set(kids["home_schooled"]) and {"Y", "N"} <= set(
        kids["elementary_or_secondary"]
    )
    assert (kids["resident_state"] != profile.state_code).any()
    for r in kids.to_dicts():
        start, end = profile.count_window(int(r["school_year"][:4]))
        assert start.isoformat() <= r["count_date"] <= end.isoformat()
        assert 3 <= _age(r["birth_date"], r["count_date"]) <= 21
    directory = _read(state / "reference" / "private_schools.csv")
    assert set(directory["level"]) == set(codes.PRIVATE_SCHOOL_LEVELS)
    assert {"Y", "N"} == set(directory["nonprofit"])
    per_file = kids.group_by("lea_id", "school_year").agg(pl.col("count_date").n_unique())
    assert (per_file["count_date"] == 1).all()


def test_child_find_dates_and_outcomes(state, manifest):
    cf = _clean(state, manifest, "child_find")
    assert set(cf["eligibility"]) == set(codes.ELIGIBILITY)
    assert set(cf["evaluation_type"]) == set(codes.EVALUATION_TYPES)
    assert cf.filter(pl.col("services_plan_date").is_not_null())["eligibility"].eq("ELIGIBLE").all()
    late = 0
    for r in cf.to_dicts():
        if r["consent_date"]:
            assert r["consent_date"] >= r["referral_date"]
        if r["evaluation_date"]:
            days = (
                dt.date.fromisoformat(r["evaluation_date"])
                - dt.date.fromisoformat(r["consent_date"])
            ).days
            assert days >= 0
            late += days > load_profile().evaluation_timeline_days
        if r["services_plan_date"]:
            assert r["services_plan_date"] >= r["evaluation_date"]
    assert 0 < late < cf.height / 3


def test_spending_periods_shortfalls_and_carryover(state, manifest):
    spend = _clean(state, manifest, "expenditures")
    assert (spend["obligation_date"] <= AS_OF.isoformat()).all()
    assert spend["amount"].str.contains(r"^\d+\.\d\d$").all()
    assert {"STATE", "LOCAL"} <= set(spend["fund_source"])
    assert "CHILD_FIND_EVALUATION" in set(spend["category"])
    fy = spend["fiscal_year"].cast(pl.Int64)
    start = pl.format("{}-07-01", fy)
    assert (spend["obligation_date"] >= spend.select(start).to_series()).all()
    carry = spend.filter(
        pl.col("obligation_date") > pl.format("{}-09-30", pl.col("fiscal_year").cast(pl.Int64) + 1)
    )
    assert carry.height > 0  # FY 2025 money obligated in its carryover year
    # the next year's grant paying a carryover obligation (the shipped profile allows it):
    # IDEA 611 rows of FY 2026 applying to FY 2025, obligated in FY 2025's carryover year
    paid = spend.filter(pl.col("applies_to_fiscal_year").is_not_null())
    assert paid.height > 0
    assert set(paid["fund_source"]) == {"IDEA_611"} and set(paid["fiscal_year"]) == {"2026"}
    assert set(paid["applies_to_fiscal_year"]) == {"2025"}
    for day in paid["obligation_date"]:  # ISO, or M/D/YYYY as some files are written
        when = dt.datetime.strptime(day, "%Y-%m-%d" if "-" in day else "%m/%d/%Y").date()
        assert dt.date(2026, 10, 1) <= when <= AS_OF, day  # to 2027-09-30, by the as-of date
    alloc = _read(state / "allocations" / "2026" / "allocations_2026.csv")
    assert alloc["idea_611_subgrant"].str.contains(r"^\d+\.\d\d$").all()


def test_no_date_after_the_as_of_date(state, manifest):
    for f in manifest["files"]:
        if f.get("defect") or f["path"].startswith("reference"):
            continue
        frame = _read(state / f["path"])
        for c in frame.columns:
            if c.endswith("_date"):
                assert (frame[c].drop_nulls() <= AS_OF.isoformat()).all(), (f["path"], c)


def test_unknown_scale_and_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(
        ValueError, match="unknown scale 'huge'; choose one of: small, state, large"
    ):
        generate(tmp_path / "x", scale="huge")
    with pytest.raises(ValueError, match="at least 1"):
        school_years("2025-26", 0)
    with pytest.raises(ValueError, match="school year like 2025-26"):
        school_years("2025-27", 1)
    assert school_years("2025-26", 3) == ["2023-24", "2024-25", "2025-26"]
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        generate(tmp_path / "full")


def test_summary_and_progress(tmp_path):
    lines: list[str] = []
    s = generate(tmp_path / "p", scale="small", seed=3, progress=lines.append)
    assert any(line.startswith("placements 2025-26: ") and "LEAs" in line for line in lines)
    assert s.leas == 20 and 5_000 <= s.students_per_year["2025-26"] <= 7_000
    assert s.files["placements"] >= 20 and s.rows["placements"] >= s.students_per_year["2025-26"]
    assert s.seconds > 0 and sum(s.defects.values()) >= 0


def test_shipped_calibration_equals_a_fresh_derivation():
    for name, text in calibration.derived_files("MA", REALDATA).items():
        assert (calibration.DATA / name).read_text(encoding="utf-8") == text, name
    assert sum(p.stat().st_size for p in calibration.DATA.iterdir()) < 300_000


def test_calibration_reproduces_published_618_spot_values():
    cal = calibration.federal_618("MA", REALDATA)
    assert cal["students_6_21"] == 155_740
    assert cal["students_3_5"] == 18_022
    assert cal["parentally_placed_6_21"] == 1_223
    assert sum(cal["environments_6_21"]["RC80"].values()) == 99_410  # all 13 categories
    assert sum(calibration.lea_sizes(REALDATA)) > 60_000  # CT total 70,052 (suppressed as 5)
    text = calibration.private_schools("MA", REALDATA)
    assert len(text.splitlines()) - 1 == 658


@pytest.mark.slow
def test_state_scale_is_massachusetts_sized_and_fast(tmp_path):
    s = generate(tmp_path / "state", scale="state", seed=1)
    assert s.leas == 400 and 160_000 <= s.students_per_year["2025-26"] <= 180_000
    assert s.seconds < 60  # measured about 7 s (2 cores)


def test_files_are_sent_around_their_due_dates(state, manifest, profile):
    """Each file's modification time is the day it was sent: school-year files mostly by the
    profile's due date, a few late; corrections and re-sends after their first file."""
    by_path = {f["path"]: f for f in manifest["files"]}
    on_time = late = 0
    for f in manifest["files"]:
        sent = dt.datetime.fromisoformat(f["sent_at"])
        mtime = dt.datetime.fromtimestamp((state / f["path"]).stat().st_mtime, dt.UTC)
        assert mtime.replace(tzinfo=None) == sent
        first = f.get("copy_of") or f.get("resubmission_of")
        if first:
            first = by_path[(Path(f["path"]).parent / Path(first).name).as_posix()]
            assert sent > dt.datetime.fromisoformat(first["sent_at"])
            continue
        if "-" not in f["period"]:  # fiscal-year files and directories have no due date
            continue
        due = profile.due_date(f["collection"], int(f["period"][:4]))
        if due is not None:
            on_time += sent.date() <= due
            late += sent.date() > due
    assert late > 0 and on_time > 10 * late


#: How close a generated share must come to the published one: four standard errors of a share
#: of n children drawn at the published rate (the small scale has about 5,400 school-age and 600
#: early-childhood children a year; each LEA leans towards its own race mix, which widens the
#: spread a little), and never tighter than one point.
def tolerance(p: float, n: int) -> float:
    return max(0.01, 4 * (p * (1 - p) / n) ** 0.5)


#: The statewide enrollment mix is the published one up to the LEAs' leans and rounding.
RACE_TOLERANCE = 0.03


def _published_shares(group: str) -> dict[str, float]:
    """The state's 618 shares of each race, female and English learners for an age group,
    straight from the federal file's Total row."""
    counts = calibration.federal_618("MA", REALDATA)["demographics"][group]["TOTAL"]["ALL"]
    keys = calibration.DEMOGRAPHIC_KEYS
    race_total = sum(counts[:7])
    shares = {k: counts[i] / race_total for i, k in enumerate(keys[:7])}
    shares["F"] = counts[7] / (counts[7] + counts[8])
    shares["EL"] = counts[9] / (counts[9] + counts[10])
    return shares


def test_generated_demographics_reproduce_the_published_618_shares(state, manifest):
    roster = _clean(state, manifest, "placements").filter(pl.col("school_year") == "2025-26")
    ages = [_age(b, c) for b, c in zip(roster["birth_date"], roster["count_date"], strict=True)]
    school_age = [
        a >= 6 or (a == 5 and g == "KG") for a, g in zip(ages, roster["grade_level"], strict=True)
    ]
    roster = roster.with_columns(pl.Series("school_age", school_age))
    for group, flag in (("6-21", True), ("3-5", False)):
        mine = roster.filter(pl.col("school_age") == flag)
        want = _published_shares(group)
        n = mine.height
        for race in codes.RACE_ETHNICITIES:
            got = (mine["race_ethnicity"] == race).sum() / n
            assert abs(got - want[race]) <= tolerance(want[race], n), (group, race, got)
        got_f = (mine["sex"] == "F").sum() / n
        got_el = (mine["english_learner"] == "Y").sum() / n
        assert abs(got_f - want["F"]) <= tolerance(want["F"], n), (group, got_f, want["F"])
        assert abs(got_el - want["EL"]) <= tolerance(want["EL"], n), (group, got_el, want["EL"])


def test_enrollment_follows_the_published_state_mix_and_covers_the_roster(state, manifest):
    (entry,) = [f for f in manifest["files"] if f["path"].startswith("enrollment/2025-26/")]
    enrolled = _read(state / entry["path"]).with_columns(pl.col("enrolled").cast(pl.Int64))
    assert enrolled.select("lea_id", "race_ethnicity").is_duplicated().sum() == 0
    assert (enrolled["enrolled"] >= 0).all()
    shares = calibration.enrollment_shares(REALDATA)["2024-25"]  # the latest year published
    total = enrolled["enrolled"].sum()
    for race in codes.RACE_ETHNICITIES:
        got = enrolled.filter(pl.col("race_ethnicity") == race)["enrolled"].sum() / total
        want = shares[race] / sum(shares.values())
        assert abs(got - want) <= RACE_TOLERANCE, (race, got, want)
    # every LEA enrolls at least its children with disabilities of each race
    roster = _clean(state, manifest, "placements").filter(pl.col("school_year") == "2025-26")
    served = roster.group_by("lea_id", "race_ethnicity").len()
    joined = served.join(enrolled, on=["lea_id", "race_ethnicity"])
    assert joined.height == served.height and (joined["enrolled"] >= joined["len"]).all()


def test_the_new_demographic_defects_break_what_they_say(tmp_path):
    from sped.generate import defects

    frame = pl.DataFrame(
        {"race_ethnicity": ["WH7"] * 5, "sex": ["F"] * 5, "student_id": list("abcde")}
    )
    rng = np.random.default_rng(1)
    bad, _ = defects.inject(frame, "placements", "unknown_race_code", "x", rng)
    assert (bad["race_ethnicity"] == "HIS").sum() == 3
    bad, _ = defects.inject(frame, "placements", "blank_sex", "x", rng)
    assert bad["sex"].null_count() == 3
