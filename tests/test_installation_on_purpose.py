"""An installation is created only on purpose: `sped init` (or `sped pipeline --create`).
Every other command on a missing installation fails in one line naming the path and the command
that creates it, and leaves nothing behind (a mistyped --warehouse used to create an empty
installation, print an empty summary and exit 0)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sped.cli import main
from sped.config.settings import Installation
from sped.operations.initialise import exists

AS_OF = "2026-11-01"


def _one_line_refusal(capsys, missing: Path) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"sped: no installation at {missing.parent}: `sped init --warehouse {missing}` creates "
        "one (or check the --warehouse path)"
    ]


def test_a_mistyped_warehouse_is_refused_and_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "warehuose" / "warehouse.duckdb"
    code = main(["pipeline", "--warehouse", str(typo), "--as-of", AS_OF])
    assert code == 2
    _one_line_refusal(capsys, typo)
    assert not typo.parent.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["submissions"],
        ["rebuild"],
        ["backup", "--to", "{tmp}/backup"],
        ["audit", "verify"],
        ["accounts", "add", "clerk", "--role", "state"],
        ["accounts", "list"],
        ["annotate", "1"],
        ["docs"],
        ["datadocs"],
        ["serve"],
        ["submit", "{tmp}/f.csv", "--account", "operator:me", "--collection", "leas"],
        ["validate", "{tmp}/f.csv", "--collection", "leas"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_every_other_command_refuses_a_missing_installation(tmp_path, capsys, command):
    (tmp_path / "f.csv").write_text("lea_id\n2500001\n")
    missing = tmp_path / "missing" / "warehouse.duckdb"
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    if args[0] in ("submit", "validate"):
        args += ["--period", "2025-26"]
    assert main([*args, "--warehouse", str(missing)]) == 2
    _one_line_refusal(capsys, missing)
    assert not missing.parent.exists() and not (tmp_path / "backup").exists()


def test_init_creates_a_private_installation_once(tmp_path, capsys):
    inst = Installation(tmp_path / "state" / "warehouse.duckdb")
    assert main(["init", "--warehouse", str(inst.warehouse)]) == 0
    out = capsys.readouterr().out
    assert f"created the installation {inst.root}" in out and "sped pipeline" in out
    assert exists(inst) and (inst.root / "dagster" / "dagster.yaml").is_file()
    assert stat.S_IMODE(inst.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(inst.registry.stat().st_mode) & 0o077 == 0
    assert main(["init", "--warehouse", str(inst.warehouse)]) == 0
    assert "already at" in capsys.readouterr().out
    # now the other commands find it
    assert main(["submissions", "--warehouse", str(inst.warehouse)]) == 0


def test_init_with_a_bad_profile_creates_nothing(tmp_path, capsys):
    bad = tmp_path / "profile.yaml"
    bad.write_text("state_code: MA\n")
    warehouse = tmp_path / "state" / "warehouse.duckdb"
    assert main(["init", "--warehouse", str(warehouse), "--profile", str(bad)]) == 2
    assert "state profile" in capsys.readouterr().err
    assert not warehouse.parent.exists()


def test_validate_without_an_installation_names_the_rules_it_could_not_check(
    tmp_path, capsys, monkeypatch
):
    """No directory to check against: the facility rule is listed as not checked, and the file
    is not rejected for a facility "not in the directory" (it was rejected before, under a line
    saying the directory checks were skipped). Nothing is created for the check."""
    missing = tmp_path / "none" / "warehouse.duckdb"
    monkeypatch.setenv("SPED_WAREHOUSE", str(missing))
    template = Path(__file__).resolve().parents[1] / "docs" / "templates" / "placements.csv"
    header, row = template.read_text().splitlines()[:2]
    fields = dict(zip(header.split(","), row.split(","), strict=True))
    fields.update(placement_type="APPROVED_PRIVATE_DAY", facility_id="F9999", facility_state="MA")
    file = tmp_path / "placements.csv"
    file.write_text(f"{header}\n{','.join(fields.values())}\n")
    args = ["validate", str(file), "--collection", "placements", "--lea", fields["lea_id"]]
    code = main([*args, "--period", fields["school_year"], "--as-of", AS_OF])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "passes the rules checked (0 errors" in out and "REJECTED" not in out
    assert "not checked" in out and "placements.facility_id.approved_in_directory" in out
    assert "Error" not in out
    assert not missing.parent.exists()
