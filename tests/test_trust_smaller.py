"""Smaller guarantees of issue 25: naming a warehouse inside an existing folder changes none of
that folder's modes nor its files'; a submission id too large for the registry is simply not a
submission (the portal answers 404: tests/test_web_permissions.py)."""

from __future__ import annotations

import stat

import pytest

from sped.settings import Installation
from sped.steps import connect, open_registry


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
