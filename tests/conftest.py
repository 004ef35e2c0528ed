"""Shared fixtures: the state profile, a window profile, and a fresh installation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sped.config.profile import StateProfile, load_profile
from sped.config.settings import Installation

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def profile() -> StateProfile:
    """The shipped state profile (config/state_profile.yaml)."""
    return load_profile()


@pytest.fixture(scope="session")
def window_profile(profile: StateProfile) -> StateProfile:
    """The profile with no fixed count day: any day from Oct 1 to Dec 1 is allowed."""
    return dataclasses.replace(profile, count_fixed_day=None)


@pytest.fixture
def inst(tmp_path: Path) -> Installation:
    """A fresh installation in a temporary directory (created as `sped init` creates one)."""
    from sped.operations.initialise import initialise

    inst = Installation(tmp_path / "install" / "warehouse.duckdb")
    initialise(inst)
    return inst
