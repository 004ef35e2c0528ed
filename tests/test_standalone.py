"""The repository stands alone: no tracked file cites a document outside it (the check `make
lint` runs), and a clone of HEAD with nothing beside it passes the contract and calibration
tests, which read only the project's own docs/rules/ and sped/reference/public/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _pattern() -> str:
    """The pattern `make standalone` greps for, read from the Makefile itself."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return re.search(r"^STANDALONE_PATTERN := (.+)$", text, flags=re.M).group(1)


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_pattern_catches_every_outside_citation():
    pattern = re.compile(_pattern())
    # spelled in pieces so that this file does not cite them itself
    outside_citations = ("../" + "shared/x", "see CONTRACTS" + ".md", "DOMAIN" + ".md 3")
    for outside in (*outside_citations, "Se" + "ed 002", "se" + "ed 004"):
        assert pattern.search(outside), outside
    for ours in ("docs/rules/contracts.md", "34 CFR 300.133", "--seed 20261001", "SEED ?= 1"):
        assert not pattern.search(ours), ours


def test_no_tracked_file_cites_anything_outside_the_repository():
    found = _git("grep", "-n", "-E", _pattern(), "--", ".", cwd=REPO)
    assert found.returncode == 1, found.stdout[:2000]


@pytest.mark.slow
def test_a_clone_with_nothing_beside_it_passes_contract_and_calibration_tests(tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    clone = alone / "sped-placements"
    cloned = _git("clone", "--quiet", "--no-hardlinks", str(REPO), str(clone), cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    assert sorted(p.name for p in alone.iterdir()) == ["sped-placements"]

    env = {**os.environ, "PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("SPED_WAREHOUSE", None)
    where = subprocess.run(
        [sys.executable, "-c", "import sped; print(sped.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(clone), "the clone's own code is tested"

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "tests/test_contracts.py",
            "tests/test_reference_public.py",
            "tests/test_generate.py::test_shipped_calibration_equals_a_fresh_derivation",
            "tests/test_generate.py::test_calibration_reproduces_published_618_spot_values",
            "tests/test_standalone.py::test_no_tracked_file_cites_anything_outside_the_repository",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b2\d passed\b", run.stdout), run.stdout[-2000:]
    assert "failed" not in run.stdout and "error" not in run.stdout.lower()
