"""Smaller guarantees of issue 25: naming a warehouse inside an existing folder changes none of
that folder's modes nor its files'; a submission id too large for the registry is simply not a
submission (the portal answers 404: tests/test_web_permissions.py)."""

from __future__ import annotations

import stat

import pytest

from sped.config.settings import Installation
from sped.run.steps import connect, open_registry


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_folder_and_its_files_keep_their_modes(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    script = home / "run.sh"
    script.write_text("#!/bin/sh\necho hello\n")
    script.chmod(0o755)
    inst = Installation(home / "warehouse.duckdb").create()
    open_registry(inst).close()
    connect(inst).close()
    assert (_mode(home), _mode(script)) == (0o755, 0o755)
    # what the installation itself makes is its owner's only
    assert _mode(inst.registry) == 0o600 and _mode(inst.warehouse) == 0o600
    assert {_mode(d) for d in (inst.store, inst.published_dir, inst.reports_dir)} == {0o700}


def test_a_submission_id_beyond_any_registry_integer_is_no_submission(inst):
    with open_registry(inst) as reg:
        for sid in (10**19, 99999999999999999999, -(10**19)):
            with pytest.raises(KeyError, match="no submission"):
                reg.submission(sid)


CODE = ("dbt", "sped", "dagster_project", "config")


def _code_files(repo) -> dict[str, int]:
    """Every file of the code checkout's code folders with its modification time (Python's
    bytecode caches left out: Python skips them silently where it may not write)."""
    return {
        str(p.relative_to(repo)): p.stat().st_mtime_ns
        for folder in CODE
        for p in (repo / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_run_writes_nothing_into_the_code_checkout(tmp_path, capsys):
    from sped.cli import main
    from sped.config.settings import REPO_ROOT

    landing = tmp_path / "landing" / "reference"
    landing.mkdir(parents=True)
    (landing / "leas.csv").write_text("lea_id,name,county,lea_type\n2500001,A,X,REGULAR\n")
    before = _code_files(REPO_ROOT)
    warehouse = tmp_path / "inst" / "warehouse.duckdb"
    argv = ["pipeline", "--create", "--warehouse", str(warehouse), "--landing", str(landing.parent)]
    assert main([*argv, "--as-of", "2026-11-01"]) == 0, capsys.readouterr()
    assert _code_files(REPO_ROOT) == before
