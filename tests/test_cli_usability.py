"""The `sped` command for a newcomer: every sub-command and option described, errors as one
line with a non-zero exit and no traceback, nothing created before the arguments are checked,
and the default installation is the demo's (and named when it is used)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sped import cli
from sped.config import settings
from sped.config.settings import Installation
from sped.run.steps import open_registry

REPO = Path(__file__).resolve().parents[1]


def _sped(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sped.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_subcommand_and_option_is_described():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = {a.dest: a.help for a in sub._choices_actions}
    commands = _subcommands()
    assert set(listed) == set(commands)
    for name, command in commands.items():
        assert listed[name], f"sped {name}: no summary in `sped --help`"
        assert command.description and len(command.description) > 40, name
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"sped {name} {action.option_strings or action.dest}: no help"


def test_help_prints_for_every_subcommand():
    top = _sped("--help")
    assert top.returncode == 0 and "pipeline" in top.stdout and "docs/rules/" in top.stdout
    for name in ("pipeline", "annotate"):
        text = _sped(name, "--help").stdout
        assert "--warehouse" in text and "installation" in text


def test_an_unknown_submission_is_one_line_without_traceback(tmp_path):
    inst = Installation(tmp_path / "inst" / "warehouse.duckdb").create()
    open_registry(inst).close()
    run = _sped("annotate", "99999", "--warehouse", str(inst.warehouse))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip() == "sped: no submission 99999"


def test_a_command_on_a_missing_installation_creates_nothing(tmp_path):
    missing = tmp_path / "nothing-here" / "warehouse.duckdb"
    run = _sped("annotate", "1", env={"SPED_WAREHOUSE": str(missing)})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines == [
        f"sped: installation {missing.parent}",
        f"sped: no installation at {missing.parent}: `sped init --warehouse {missing}` creates "
        "one (or check the --warehouse path)",
    ]
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    "extra",
    [["--landing", "/nope"], ["--as-of", "2026-13-45"], ["--profile", "/nope/profile.yaml"]],
)
def test_pipeline_checks_its_arguments_before_creating_anything(tmp_path, extra):
    warehouse = tmp_path / "new" / "warehouse.duckdb"
    run = _sped("pipeline", "--create", "--warehouse", str(warehouse), *extra)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not warehouse.parent.exists()


def test_an_unexpected_failure_is_one_line_with_exit_code_1(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(cli.files, "cmd_submissions", broken)
    monkeypatch.delenv("SPED_DEBUG", raising=False)
    assert cli.main(["submissions"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "sped: submissions failed: RuntimeError: disk on fire (set SPED_DEBUG=1 to see the "
        "traceback)"
    ]


def test_the_default_installation_is_the_demos():
    assert settings.DEFAULT_WAREHOUSE == REPO / "data" / "demo" / "warehouse" / "warehouse.duckdb"
    makefile = (REPO / "Makefile").read_text()
    assert "DEMO_DIR ?= data/demo" in makefile
    assert "DEMO_WAREHOUSE := $(CURDIR)/$(DEMO_DIR)/warehouse/warehouse.duckdb" in makefile


def test_make_demo_starts_from_an_empty_installation_and_ends_serving_it(tmp_path):
    demo = tmp_path / "demo"
    (demo / "warehouse").mkdir(parents=True)
    (demo / "warehouse" / "warehouse.duckdb").write_bytes(b"an old state")
    (demo / "landing").mkdir()
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "demo", f"DEMO_DIR={demo}", "SCALE=small"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wipe = plan.index(f"rm -rf {demo}/landing {demo}/warehouse")
    assert "one state per installation" in plan
    assert wipe < plan.index("sped generate --scale small") < plan.index("sped pipeline")
    assert plan.index("sped pipeline") < plan.index("sped serve")  # it ends by serving the portal


def test_jupyterlab_runs_from_the_projects_environment():
    """Analysts open notebooks/ with the environment's own JupyterLab (README, Notebooks)."""
    lab = Path(sys.executable).parent / "jupyter-lab"
    run = subprocess.run([str(lab), "--version"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip()[0].isdigit()
    assert "jupyter lab" in (REPO / "README.md").read_text()


def test_a_mistyped_command_is_one_line_with_the_nearest_one():
    run = _sped("pipline", "--warehouse", "/nowhere/warehouse.duckdb")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "sped: no command 'pipline': did you mean pipeline? (`sped --help` lists the commands)"
    ]
    far = _sped("frobnicate")
    assert far.returncode == 2
    assert far.stderr.strip() == "sped: no command 'frobnicate' (`sped --help` lists the commands)"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("min_cell_size: ten", "min_cell_size must be an integer, got 'ten'"),
        ("min_cell_size: [10", "is not valid YAML: line "),
    ],
)
def test_a_bad_profile_is_one_line_naming_the_type(tmp_path, text, said):
    base = (REPO / "config" / "state_profile.yaml").read_text()
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "\n".join(text if ln.startswith("min_cell_size:") else ln for ln in base.splitlines())
    )
    warehouse = tmp_path / "new" / "warehouse.duckdb"
    run = _sped("init", "--warehouse", str(warehouse), "--profile", str(profile))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and lines[0].startswith("sped: state profile: ")
    assert not warehouse.parent.exists()
