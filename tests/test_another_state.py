"""A second state, set up as docs/another-state.md says: `sped calibrate CT --out FILE` (which
writes nothing into the source tree), the example profile config/examples/state_profile_CT.yaml,
a small synthetic Connecticut generated with both, and the pipeline run over it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from sped.cli import main
from sped.config.settings import REPO_ROOT, Installation
from sped.generate.calibration import DATA

PROFILE = REPO_ROOT / "config" / "examples" / "state_profile_CT.yaml"
AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def connecticut(tmp_path_factory) -> tuple[Installation, Path, int]:
    base = tmp_path_factory.mktemp("connecticut")
    shipped = sorted(p.name for p in DATA.iterdir())
    calibration = base / "CT.json"
    assert main(["calibrate", "CT", "--out", str(calibration)]) == 0
    assert sorted(p.name for p in DATA.iterdir()) == shipped  # nothing into the source tree
    landing, inst = base / "landing", Installation(base / "ct" / "warehouse.duckdb")
    common = ["--profile", str(PROFILE)]
    generate = ["generate", "--scale", "small", "--seed", "11", "--out", str(landing)]
    assert main([*generate, *common, "--calibration", str(calibration)]) == 0
    assert main(["init", "--warehouse", str(inst.warehouse), *common]) == 0
    run = ["pipeline", "--landing", str(landing), "--warehouse", str(inst.warehouse)]
    code = main([*run, *common, "--as-of", AS_OF])
    return inst, calibration, code


def test_calibrate_writes_one_file_for_the_state(connecticut):
    _, calibration, _ = connecticut
    doc = json.loads(calibration.read_text())
    assert doc["state"] == "CT"
    assert doc["calibration"]["students_6_21"] > 0
    assert doc["private_schools_csv"].count("\n") > 100


def test_calibrate_refuses_what_it_cannot_do_in_one_line(tmp_path, capsys):
    assert main(["calibrate", "ZZ", "--out", str(tmp_path / "zz.json")]) == 2
    assert "no public files for state 'ZZ'" in capsys.readouterr().err
    assert not (tmp_path / "zz.json").exists()
    existing = tmp_path / "ct.json"
    existing.write_text("{}")
    assert main(["calibrate", "CT", "--out", str(existing)]) == 2
    assert "--force" in capsys.readouterr().err and existing.read_text() == "{}"


def test_a_synthetic_connecticut_runs_through_the_pipeline(connecticut):
    inst, _, code = connecticut
    assert code == 0
    with duckdb.connect(str(inst.published_warehouse), read_only=True) as con:
        leas = [r[0] for r in con.execute("SELECT lea_id FROM marts.dim_lea").fetchall()]
        assert leas and all(lea.startswith("09") for lea in leas)  # Connecticut's FIPS code
        # the profile's own due dates, not Massachusetts': placements due November 15
        due = con.execute(
            "SELECT DISTINCT due_date FROM marts.fct_submission_status "
            "WHERE collection = 'placements' AND due_date IS NOT NULL"
        ).fetchall()
        assert due and {(d.month, d.day) for (d,) in due} == {(11, 15)}
        students = con.execute("SELECT sum(students) FROM marts.fct_out_of_district").fetchone()
        assert students[0] > 1000
