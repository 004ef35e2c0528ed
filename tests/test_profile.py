"""The state profile: the shipped one loads, bad settings stop with a message naming them."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from sped.config.profile import DEFAULT_PROFILE, ProfileError, load_profile, parse_profile


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


def test_due_dates_fall_and_spring():
    p = load_profile()
    assert p.due_date("placements", 2025) == dt.date(2025, 12, 15)  # fall: 2025 of 2025-26
    assert p.due_date("child_find", 2025) == dt.date(2026, 7, 31)  # spring: 2026 of 2025-26
    assert p.due_date("expenditures", 2025) is None  # fiscal-year collection: no due date
    assert p.dbt_vars()["due_dates"] == {
        "placements": {"month": 12, "day": 15, "year": "fall"},
        "monitoring_log": {"month": 7, "day": 31, "year": "spring"},
        "ppps_count": {"month": 12, "day": 15, "year": "fall"},
        "child_find": {"month": 7, "day": 31, "year": "spring"},
    }


def test_count_due_dates_follow_the_count_day():
    data = _base()
    data["count"]["fixed_day"] = "10-01"  # counted on Oct 1: the roster may be due in October
    data["due_dates"]["placements"] = {"day": "10-15", "year": "fall"}
    assert parse_profile(data).due_date("placements", 2025) == dt.date(2025, 10, 15)
    data["due_dates"]["ppps_count"] = {"day": "09-30", "year": "fall"}
    with pytest.raises(ProfileError, match=r"due_dates\.ppps_count 09-30 is before the count"):
        parse_profile(data)
    data["due_dates"]["ppps_count"] = {"day": "09-30", "year": "spring"}  # next September
    assert parse_profile(data).due_date("ppps_count", 2025) == dt.date(2026, 9, 30)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("rounding"), "missing setting 'rounding'"),
        (lambda d: d.update(rounding="banker"), "rounding must be one of"),
        (lambda d: d["count"].update(window_start="09-30"), "between October 1 and December 1"),
        (lambda d: d["count"].update(window_end="12-02"), "between October 1 and December 1"),
        (lambda d: d["count"].update(fixed_day="02-30"), "not a real day"),
        (lambda d: d.update(state_code="XX"), "USPS state code"),
        (lambda d: d.update(state_fips=25), r"state_fips must be a string \(in quotes"),
        (lambda d: d.update(lea_id_pattern="(["), "not a valid regular expression"),
        (lambda d: d.update(dd_age_range=[2, 9]), "dd_age_range"),
        (
            lambda d: d.update(count_home_schooled="yes"),
            "count_home_schooled must be true or false",
        ),
        (
            lambda d: d.update(min_cell_size="ten"),
            "^min_cell_size must be an integer, got 'ten'$",
        ),
        (lambda d: d.update(min_cell_size=0), "must be positive"),
        (lambda d: d.pop("due_dates"), "missing setting 'due_dates'"),
        (lambda d: d.pop("timezone"), "missing setting 'timezone'"),
        (lambda d: d.update(timezone="Eastern"), "timezone must be an IANA time zone"),
        (lambda d: d.update(timezone="../etc/passwd"), "timezone must be an IANA time zone"),
        (lambda d: d["due_dates"].pop("child_find"), "missing setting 'due_dates.child_find'"),
        (
            lambda d: d["due_dates"].update(expenditures={"day": "10-31", "year": "fall"}),
            "due_dates.expenditures: no such collection",
        ),
        (
            lambda d: d["due_dates"].update(placement={"day": "12-15", "year": "fall"}),
            "due_dates.placement: no such collection",
        ),
        (
            lambda d: d["due_dates"].update(placements={"day": "12/15", "year": "fall"}),
            r"due_dates.placements.day must be a month-day",
        ),
        (
            lambda d: d["due_dates"].update(child_find={"day": "06-31", "year": "spring"}),
            r"due_dates.child_find.day is not a real day",
        ),
        (
            lambda d: d["due_dates"].update(ppps_count={"day": "12-15", "year": "autumn"}),
            "due_dates.ppps_count.year must be fall",
        ),
        (
            lambda d: d["due_dates"].update(ppps_count={"day": "12-15"}),
            "due_dates.ppps_count must be a mapping with day and year",
        ),
        (
            lambda d: d["due_dates"].update(monitoring_log={"day": "06-30", "year": "fall"}),
            "due_dates.monitoring_log 06-30 in the fall year is before July 1",
        ),
        (
            lambda d: d["due_dates"].update(placements={"day": "11-30", "year": "fall"}),
            "due_dates.placements 11-30 is before the count's last day 12-01",
        ),
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
    with pytest.raises(ProfileError, match="not valid YAML: line 2, column 1: ") as caught:
        load_profile(bad)
    assert "\n" not in str(caught.value)  # one line, not the parser's eight


def test_spp_targets_shipped_and_passed_to_dbt():
    p = load_profile()
    by_key = {(t.indicator, t.school_year): t for t in p.spp_targets}
    assert by_key[("5A", "2025-26")].direction == "at_least"
    assert by_key[("5C", "2025-26")].direction == "at_most"
    assert {
        "indicator": "6A",
        "school_year": "2025-26",
        "target": 40.0,
        "direction": "at_least",
    } in (p.dbt_vars()["spp_targets"])
    t = by_key[("5B", "2025-26")]
    assert t.met_by(t.percent) is True and t.met_by(t.percent + 0.01) is False
    assert t.met_by(None) is None


def test_spp_targets_absent_means_none():
    data = _base()
    del data["spp_targets"]
    assert parse_profile(data).spp_targets == ()
    assert parse_profile(data).dbt_vars()["spp_targets"] == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"5D": {"direction": "at_least", "years": {"2025-26": 1}}}, r"spp_targets\.5D: no such"),
        (
            {"5A": {"direction": "at_most", "years": {"2025-26": 1}}},
            r"5A\.direction must be at_least",
        ),
        (
            {"5B": {"direction": "at_least", "years": {"2025-26": 1}}},
            r"5B\.direction must be at_most",
        ),
        ({"6C": {"direction": "sideways", "years": {"2025-26": 1}}}, "at_least or at_most"),
        ({"6C": {"direction": "at_least", "years": {"2025-27": 1}}}, "not two consecutive"),
        ({"6C": {"direction": "at_least", "years": {2025: 1}}}, "looks like"),
        ({"6A": {"direction": "at_least", "years": {"2025-26": 101}}}, "percent from 0 to 100"),
        ({"6A": {"direction": "at_least", "years": {"2025-26": True}}}, "percent from 0 to 100"),
        ({"6A": {"direction": "at_least"}}, "direction and years"),
        ({"6A": {"direction": "at_least", "years": {}}}, "must map school years"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_spp_targets_name_the_setting(section, message):
    data = _base()
    data["spp_targets"] = section
    with pytest.raises(ProfileError, match=message):
        parse_profile(data)


def test_6c_direction_is_the_states_choice():
    data = _base()
    data["spp_targets"] = {"6C": {"direction": "at_least", "years": {"2025-26": 2.5}}}
    (t,) = parse_profile(data).spp_targets
    assert (t.direction, t.met_by(2.5), t.met_by(2.4)) == ("at_least", True, False)


def test_disproportionality_standards_shipped_and_passed_to_dbt():
    p = load_profile()
    assert p.dbt_vars()["disproportionality"] == {
        "risk_ratio_threshold": 3.0,
        "min_cell_size": 10,
        "min_n_size": 30,
        "consecutive_years": 3,
    }
    data = _base()
    del data["disproportionality"]
    assert parse_profile(data).disproportionality == p.disproportionality  # the defaults
    data["disproportionality"] = {"min_cell_size": 10, "min_n_size": 30, "consecutive_years": 1}
    at_limits = parse_profile(data).disproportionality
    assert (at_limits.min_cell_size, at_limits.min_n_size, at_limits.consecutive_years) == (
        10,
        30,
        1,
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"min_cell_size": 11}, r"disproportionality\.min_cell_size must be .* 1 to 10 .*got 11"),
        ({"min_n_size": 31}, r"disproportionality\.min_n_size must be .* 1 to 30 .*got 31"),
        ({"consecutive_years": 4}, r"disproportionality\.consecutive_years .* 1 to 3 .*got 4"),
        ({"consecutive_years": 0}, r"consecutive_years .* 1 to 3"),
        ({"min_cell_size": 0}, r"min_cell_size .* 1 to 10"),
        ({"min_n_size": 2.5}, r"min_n_size must be a whole number"),
        ({"min_cell_size": True}, r"min_cell_size must be a whole number"),
        ({"risk_ratio_threshold": 0.5}, r"risk_ratio_threshold must be a number of at least 1"),
        ({"risk_ratio_threshold": "3"}, r"risk_ratio_threshold must be a number"),
        ({"threshold": 3}, r"disproportionality\.threshold: no such setting"),
        ([3, 10], r"disproportionality must be a mapping"),
    ],
)
def test_disproportionality_beyond_the_regulations_limits_is_refused(section, message):
    data = _base()
    data["disproportionality"] = section
    with pytest.raises(ProfileError, match=message) as caught:
        parse_profile(data)
    assert "\n" not in str(caught.value)
