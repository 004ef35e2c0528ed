"""The synthetic state: same seed same bytes, the contract's layout and headers, realistic
shape (ages and environments agree, out-of-district rate near 6%), and calibration files that
equal a fresh derivation from the real public data."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from sped.contracts import COLLECTIONS
from sped.contracts.codes import EARLY_CHILDHOOD_ENVIRONMENTS, SCHOOL_AGE_ENVIRONMENTS
from sped.figures.proportionate_share import age_on
from sped.generate import calibration, generate, school_years
from sped.landing.layout import declared_key, walk


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "a"
    generate(out, scale="small", years=2, seed=11)
    return out


def _rows(path: Path) -> list[dict]:
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _manifest(root: Path) -> dict:
    return json.loads((root / "_manifest.json").read_text())


def test_same_seed_same_bytes_other_seed_differs(state, tmp_path):
    generate(tmp_path / "b", scale="small", years=2, seed=11)
    assert _digest(tmp_path / "b") == _digest(state)
    generate(tmp_path / "c", scale="small", years=2, seed=12)
    assert _digest(tmp_path / "c") != _digest(state)


def test_every_file_routes_and_has_the_contract_header(state):
    for path in walk(state):
        key = declared_key(path.relative_to(state))
        expected = list(COLLECTIONS[key.collection].column_names)
        if path.suffix == ".xlsx":
            ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
            header = [c for c in next(ws.iter_rows(values_only=True))]
        else:
            header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        defect = next(
            (
                f.get("defect")
                for f in _manifest(state)["files"]
                if f["path"] == str(path.relative_to(state))
            ),
            None,
        )
        if defect == "missing_column":
            assert len(header) == len(expected) - 1
        else:
            assert header == expected, path


def test_manifest_agrees_with_the_files(state):
    manifest = _manifest(state)
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(state)) for p in walk(state)}
    assert listed == on_disk
    for f in manifest["files"]:
        assert len(_rows(state / f["path"])) == f["rows"], f["path"]
    kinds = Counter(f.get("defect") for f in manifest["files"] if f.get("defect"))
    assert sum(kinds.values()) >= 3
    assert any(f.get("copy_of") for f in manifest["files"])
    assert manifest["school_years"] == ["2024-25", "2025-26"]


def _clean(state: Path, collection: str) -> list[dict]:
    rows = []
    for f in _manifest(state)["files"]:
        if f["collection"] == collection and not f.get("defect") and not f.get("copy_of"):
            rows += _rows(state / f["path"])
    return rows


def test_ids_keep_leading_zeros(state):
    ids = [r["student_id"] for r in _clean(state, "placements")]
    assert any(str(i).startswith("0") for i in ids)


def test_environment_agrees_with_age_and_twndp_band(state):
    import datetime as dt

    def d(v):
        if isinstance(v, dt.datetime):
            return v.date()
        v = str(v)
        if "/" in v:
            m, day, y = v.split("/")
            return dt.date(int(y), int(m), int(day))
        return dt.date.fromisoformat(v)

    rows = _clean(state, "placements")
    assert len(rows) > 10_000
    for r in rows:
        age = age_on(d(r["birth_date"]), d(r["count_date"]))
        assert 3 <= age <= 21
        school_age = age >= 6 or (age == 5 and r["grade_level"] == "KG")
        allowed = SCHOOL_AGE_ENVIRONMENTS if school_age else EARLY_CHILDHOOD_ENVIRONMENTS
        assert r["educational_environment"] in allowed
        pct = float(r["twndp_pct"])
        band = {"RC80": (80, 100), "RC79TO40": (40, 79.99), "RC39": (0, 39.99)}
        if r["educational_environment"] in band:
            lo, hi = band[r["educational_environment"]]
            assert lo <= pct <= hi


def test_out_of_district_rate_is_near_the_state_mean(state):
    rows = _clean(state, "placements")
    rate = sum(r["placement_type"] != "IN_DISTRICT" for r in rows) / len(rows)
    assert 0.03 <= rate <= 0.10
    ood = [r for r in rows if r["placement_type"] != "IN_DISTRICT"]
    assert all(r["facility_id"] for r in ood)


def test_monitoring_has_gaps_and_noncounting_monitors(state):
    rows = _clean(state, "monitoring_log")
    who = Counter(r["conducted_by"] for r in rows)
    assert who["DISTRICT_STAFF"] > who["PARENT"] > 0 and who["PLACEMENT_STAFF"] > 0


def test_unknown_scale_and_years_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown scale"):
        generate(tmp_path / "x", scale="huge")
    with pytest.raises(ValueError, match="at least 1"):
        school_years("2025-26", 0)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        generate(tmp_path / "full")


def test_shipped_calibration_equals_a_fresh_derivation():
    for name, text in calibration.derived_files("MA").items():
        assert (calibration.DATA / name).read_text(encoding="utf-8") == text, name


def test_calibration_reproduces_published_618_spot_values():
    cal = calibration.federal_618("MA")
    assert cal["students_6_21"] == 155_740
    assert cal["students_3_5"] == 18_022
    assert cal["parentally_placed_6_21"] == 1_223
    assert sum(cal["environments_6_21"]["RC80"].values()) == 99_410  # all 13 categories
    assert sum(calibration.lea_sizes()) > 60_000  # CT district total 70,052 (suppressed as 5)
    text = calibration.private_schools("MA")
    assert len(list(csv.reader(io.StringIO(text)))) - 1 == 658
