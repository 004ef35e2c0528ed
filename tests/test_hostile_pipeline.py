"""Issue 11, failures 3 and 4, end to end: the whole pipeline (Dagster, dbt, publish) over the
small state with hostile files added, in an installation whose path holds a quote
(`it's here`). The damaged and hostile files are rejected with their messages, every other
district's files are accepted, the run exits 0; links and devices in the landing tree are
refused and never read; `sped validate` answers without a traceback; no newline in a name or
an LEA id can forge a line of a listing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.generate import generate
from sped.reports.submissions import submissions_table
from sped.run.steps import open_registry
from tests.hostile_files import exp_xlsx, one_wide_row, truncated_sheet, zip_bomb
from tests.state_channel import OPERATOR

AS_OF = "2026-11-01"
SECRET = b"root:x:0:0:SECRET-BYTES-NEVER-STORED\n"
pytestmark = pytest.mark.slow


def _placement_leas(landing: Path) -> list[str]:
    return sorted(p.name for p in (landing / "placements").iterdir())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(installation, landing, exit code, printed lines, {name: landing path})."""
    base = tmp_path_factory.mktemp("hostile")
    landing = base / "landing"
    generate(landing, scale="small", years=1, seed=11)
    leas = _placement_leas(landing)
    year = sorted(p.name for p in (landing / "placements" / leas[0]).iterdir())[-1]
    added = {
        "damaged": f"placements/{leas[0]}/{year}/zz_damaged.xlsx",
        "bomb": f"placements/{leas[1]}/{year}/zz_bomb.xlsx",
        "wide": f"placements/{leas[2]}/{year}/zz_wide.xlsx",
        "link": f"placements/{leas[3]}/{year}/zz_link.csv",
        "fifo": f"placements/{leas[4]}/{year}/zz_fifo.csv",
        "newline": f"placements/{leas[5]}\nforged/{year}/a.csv",
    }
    for rel in added.values():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
    (landing / added["damaged"]).write_bytes(truncated_sheet(exp_xlsx()))
    (landing / added["bomb"]).write_bytes(zip_bomb(300))
    (landing / added["wide"]).write_bytes(one_wide_row(200_000))
    secret = base / "passwd"
    secret.write_bytes(SECRET)
    (landing / added["link"]).symlink_to(secret)
    os.mkfifo(landing / added["fifo"])  # reading it would block the run forever
    (landing / added["newline"]).write_bytes(b"lea_id\n")
    inst = Installation(base / "it's here" / "warehouse.duckdb")
    lines: list[str] = []
    import sped.cli as cli

    original = cli.common.say
    cli.common.say = lines.append
    try:
        args = [
            "pipeline",
            "--create",
            "--landing",
            str(landing),
            "--warehouse",
            str(inst.warehouse),
        ]
        code = main([*args, "--as-of", AS_OF])
    finally:
        cli.common.say = original
    return inst, landing, code, lines, added


def _by_path(inst: Installation) -> dict:
    with open_registry(inst) as reg:
        return {s.landing_path: (s, reg.findings(s.submission_id)) for s in reg.submissions()}


def test_the_run_goes_on_and_succeeds(hostile):
    _, _, code, lines, _ = hostile
    printed = "\n".join(lines)
    assert code == 0, printed
    assert "FAILED" not in printed


@pytest.mark.parametrize(
    ("name", "rule", "words"),
    [
        ("damaged", "file.damaged", "The workbook is damaged and cannot be read"),
        ("bomb", "file.limit_xlsx_expanded", "would expand to 300.0 MB"),
        ("wide", "file.limit_line_too_long", "A row of the worksheet is longer than"),
    ],
)
def test_each_hostile_file_is_rejected_with_its_message(hostile, name, rule, words):
    inst, _, _, _, added = hostile
    sub, findings = _by_path(inst)[added[name]]
    assert sub.status == "rejected"
    assert [f.rule_id for f in findings] == [f"placements.{rule}"]
    assert words in findings[0].text


def test_every_other_district_file_is_accepted(hostile):
    """The same outcome as without the hostile files: every clean file is accepted (or
    superseded by a later one), and the keys whose latest file was hostile keep their data."""
    inst, landing, _, _, added = hostile
    hostile_paths = set(added.values())
    manifest = json.loads((landing / "_manifest.json").read_text())
    defective = {f["path"] for f in manifest["files"] if f.get("defect")}
    with open_registry(inst) as reg:
        in_force = reg.in_force("placements")
        subs = reg.submissions()
    others = [s for s in subs if s.landing_path not in hostile_paths | defective]
    assert len(others) > 50
    assert {s.status for s in others} <= {"accepted", "superseded"}
    assert not any(s.landing_path in hostile_paths for s in in_force.values())
    for name in ("damaged", "bomb", "wide"):
        lea = added[name].split("/")[1]
        assert any(s.lea_id == lea for s in in_force.values()) or any(
            s.lea_id == lea and s.landing_path in defective for s in subs
        )


@pytest.mark.parametrize("name", ["link", "fifo", "newline"])
def test_links_devices_and_control_characters_are_refused_and_never_read(hostile, name):
    inst, _, _, lines, added = hostile
    shown = added[name].replace("\n", "\\n")
    refused = [
        line
        for line in lines
        if line.startswith("  refused: ")
        and (shown + "/").startswith(line.removeprefix("  refused: ").split(": ")[0] + "/")
    ]
    assert len(refused) == 1, lines
    assert "\n" not in refused[0]
    with open_registry(inst) as reg:
        paths = {r["landing_path"] for r in reg.receipts()}
    assert added[name] not in paths


def test_a_linked_file_is_never_copied_into_the_store(hostile):
    inst, _, _, _, _ = hostile
    stored = [p for p in inst.store.rglob("*") if p.is_file()]
    assert stored and not any(SECRET in p.read_bytes() for p in stored)


def test_validate_answers_a_damaged_workbook_without_a_traceback(hostile, tmp_path, capsys):
    """In the installation whose path holds a quote: the published snapshot is attached (the
    path was interpolated into SQL before: `unterminated string literal`)."""
    inst, landing, _, _, added = hostile
    lea = added["damaged"].split("/")[1]
    period = added["damaged"].split("/")[2]
    args = ["validate", str(landing / added["damaged"]), "--collection", "placements"]
    args += ["--lea", lea, "--period", period, "--warehouse", str(inst.warehouse)]
    code = main([*args, "--as-of", AS_OF])
    captured = capsys.readouterr()
    assert code == 1
    assert "The workbook is damaged and cannot be read" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert "directory checks were skipped" not in captured.out  # the snapshot was read
    assert list((inst.root / "tmp").iterdir()) == []


def test_a_newline_in_an_lea_id_cannot_forge_a_line_of_sped_submissions(hostile, capsys):
    inst, landing, _, _, added = hostile
    file = landing / added["damaged"]
    forged = "2500001\n     99  placements      2500001  2025-26  accepted"
    args = ["submit", str(file), "--account", OPERATOR, "--collection", "placements"]
    args += ["--lea", forged, "--period", "2025-26", "--warehouse", str(inst.warehouse)]
    code = main(args)
    assert code == 2 and "is not an LEA id" in capsys.readouterr().err
    assert main(["submissions", "--warehouse", str(inst.warehouse)]) == 0
    listing = capsys.readouterr().out.splitlines()
    with open_registry(inst) as reg:
        count = len(reg.submissions())
    assert len(listing) == count + 2
    row = {
        "submission_id": 1,
        "collection": "placements",
        "lea_id": "25\n1 forged",
        "period": "2025-26\x1b[2J",
        "status": "accepted",
        "error_count": 0,
        "warning_count": 0,
        "original_name": "a\nb.csv",
        "failed_rules": [],
    }
    table = submissions_table([row])
    assert len(table.splitlines()) == 3 and "\x1b" not in table
