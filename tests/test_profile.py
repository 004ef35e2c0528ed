"""The state profile: the shipped one loads, bad settings stop with a message naming them."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from sped.profile import DEFAULT_PROFILE, ProfileError, load_profile, parse_profile


def _base() -> dict:
    return yaml.safe_load(DEFAULT_PROFILE.read_text())


def test_shipped_profile_loads():
    p = load_profile()
    assert p.state_code == "MA"
    assert p.count_window(2025) == (dt.date(2025, 10, 1), dt.date(2025, 12, 1))


def test_fixed_day_narrows_the_window():
    data = _base()
    data["count"]["fixed_day"] = "10-01"
    p = parse_profile(data)
    assert p.count_window(2025) == (dt.date(2025, 10, 1), dt.date(2025, 10, 1))
    assert p.sql_params()["count_end_month"] == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("rounding"), "missing setting 'rounding'"),
        (lambda d: d.update(rounding="banker"), "rounding must be one of"),
        (lambda d: d["count"].update(window_start="09-30"), "between October 1 and December 1"),
        (lambda d: d["count"].update(window_end="12-02"), "between October 1 and December 1"),
        (lambda d: d["count"].update(fixed_day="02-30"), "not a real day"),
        (lambda d: d.update(state_code="XX"), "USPS state code"),
        (lambda d: d.update(state_fips=25), "wrong type"),
        (lambda d: d.update(lea_id_pattern="(["), "not a valid regular expression"),
        (lambda d: d.update(dd_age_range=[2, 9]), "dd_age_range"),
        (lambda d: d.update(count_home_schooled="yes"), "wrong type"),
        (lambda d: d.update(min_cell_size=0), "must be positive"),
    ],
)
def test_bad_settings_are_named(change, message):
    data = _base()
    change(data)
    with pytest.raises(ProfileError, match=message):
        parse_profile(data)


def test_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("state_code: [MA\n")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(bad)
