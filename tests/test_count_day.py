"""The state's count-day rule (sped/contracts/count_day.py): the dates it gives, the federal
window it must keep to (34 CFR 300.641(a)), the profile settings that name it, and the roster and
PPPS files refused when counted on another day, with the expected date in the message."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

import duckdb
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sped.config.profile import DEFAULT_PROFILE, ProfileError, parse_profile
from sped.contracts import get
from sped.contracts.count_day import (
    ORDINALS,
    WEEKDAYS,
    CountDay,
    CountDayError,
    parse_count_day,
)
from sped.validation import validate_batch
from sped.validation.gx_duckdb import shared_config
from sped.validation.sql_gate import validate_batch_sql
from sped.warehouse.schema import create_table_sql, ensure_schemas
from tests.test_validation_kinds import placement

AS_OF = dt.date(2026, 11, 1)
TEXAS = "last Friday of October"


def _profile(**count) -> dict:
    data = yaml.safe_load(DEFAULT_PROFILE.read_text())
    data["count"].update(count)
    return data


@pytest.mark.parametrize(
    ("fall", "day"), [(2023, dt.date(2023, 10, 27)), (2024, dt.date(2024, 10, 25)),
                      (2025, dt.date(2025, 10, 31))],
)  # fmt: skip
def test_texas_last_friday_of_october(fall, day):
    rule = parse_count_day(TEXAS, "count.day")
    assert rule.on(fall) == day
    assert day.weekday() == 4 and (day + dt.timedelta(days=7)).month == 11


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("first Monday of November", ["2023-11-06", "2024-11-04", "2025-11-03"]),
        ("second Tuesday in October", ["2023-10-10", "2024-10-08", "2025-10-14"]),
        ("fourth Thursday of November", ["2023-11-23", "2024-11-28", "2025-11-27"]),
        ("10-01", ["2023-10-01", "2024-10-01", "2025-10-01"]),
        ("12-01", ["2023-12-01", "2024-12-01", "2025-12-01"]),
    ],
)
def test_rules_for_2023_2024_2025(text, days):
    rule = parse_count_day(text, "count.day")
    assert [rule.on(y).isoformat() for y in (2023, 2024, 2025)] == days


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("09-30", "is September 30, outside the federal count window"),
        ("12-02", "is December 2, outside the federal count window"),
        ("first Monday of December", "between December 1 and December 7 depending on the year"),
        ("last Sunday of September", "outside the federal count window"),
        ("fifth Friday of October", "must be a month-day"),
        ("last Friday", "must be a month-day"),
        ("10/01", "must be a month-day"),
        ("02-30", "not a real day"),
    ],
)
def test_rules_outside_the_window_or_unreadable_are_refused(text, message):
    with pytest.raises(CountDayError, match=message):
        parse_count_day(text, "count.day")


def test_first_weekday_of_december_only_when_it_is_december_1():
    """December 1 is the window's last day: a fixed December 1 is allowed, a weekday rule that
    can land after it is not."""
    assert parse_count_day("12-01", "count.day").on(2025) == dt.date(2025, 12, 1)
    with pytest.raises(CountDayError, match=r"300\.641"):
        parse_count_day("first Monday of December", "count.day")


def test_sql_gives_the_python_date_every_year():
    con = duckdb.connect()
    rules = [TEXAS, "first Sunday of October", "second Wednesday of November",
             "last Monday of November", "third Saturday in October", "11-15"]  # fmt: skip
    for text in rules:
        rule = parse_count_day(text, "count.day")
        years = list(range(2000, 2061))
        got = con.execute(
            f"SELECT list({rule.sql('y')} ORDER BY y) FROM range(2000, 2061) t(y)"
        ).fetchone()[0]
        assert got == [rule.on(y) for y in years], text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    nth=st.sampled_from(sorted(ORDINALS)),
    weekday=st.sampled_from(WEEKDAYS),
    month=st.sampled_from(["October", "November"]),
    fall=st.integers(1990, 2100),
)
def test_property_a_weekday_rule_names_that_weekday_in_the_window(nth, weekday, month, fall):
    """Against the calendar, independently of `CountDay.on`: the date is the named weekday, the
    nth of its month (or the last: a week later is another month), inside October 1 to
    December 1, and the SQL gives the same date."""
    rule = parse_count_day(f"{nth} {weekday} of {month}", "count.day")
    day = rule.on(fall)
    assert calendar.day_name[day.weekday()].lower() == weekday
    assert day.strftime("%B") == month and day.year == fall
    same_before = sum(1 for d in range(1, day.day + 1) if dt.date(fall, day.month, d).weekday()
                      == day.weekday())  # fmt: skip
    if nth == "last":
        assert (day + dt.timedelta(days=7)).month != day.month
    else:
        assert same_before == ORDINALS[nth]
    assert dt.date(fall, 10, 1) <= day <= dt.date(fall, 12, 1)
    assert _SQL.execute(f"SELECT {rule.sql(str(fall))}").fetchall()[0][0] == day


_SQL = duckdb.connect()


def test_profile_count_day_rule():
    p = parse_profile(_profile(day=TEXAS))
    assert p.count_day == CountDay(month=10, weekday=4, nth=-1)
    assert p.count_window(2024) == (dt.date(2024, 10, 25), dt.date(2024, 10, 25))
    assert (p.count_start, p.count_end) == ((10, 25), (10, 31))


def test_profile_fixed_day_both_spellings():
    for key in ("day", "fixed_day"):
        p = parse_profile(_profile(**{key: "10-01"}))
        assert p.count_fixed_day == (10, 1) and p.count_weekday_rule is None
        assert p.count_window(2025) == (dt.date(2025, 10, 1), dt.date(2025, 10, 1))


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ({"day": "10-01", "fixed_day": "10-01"}, "set count.day or count.fixed_day"),
        ({"day": "first Monday of December"}, r"count.day .*\(34 CFR 300.641\(a\)\)"),
        ({"fixed_day": "last Friday of October"}, "count.fixed_day must be a month-day"),
        ({"day": "10-15", "window_start": "10-20"}, "outside the state's count window"),
        ({"day": "first Friday of November", "window_end": "11-05"}, "outside the state's count"),
    ],
)
def test_profile_refuses_bad_count_days(count, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(_profile(**count))


def test_count_files_due_after_the_latest_count_day():
    data = _profile(day=TEXAS)
    data["due_dates"]["placements"] = {"day": "10-30", "year": "fall"}
    with pytest.raises(ProfileError, match="before the count's last day 10-31"):
        parse_profile(data)
    data["due_dates"]["placements"] = {"day": "10-31", "year": "fall"}
    assert parse_profile(data).due_date("placements", 2025) == dt.date(2025, 10, 31)


# --- files counted on another day ------------------------------------------------------------


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"), config=shared_config())
    ensure_schemas(c)
    yield c
    c.close()


def _load(con, collection: str, files: dict[int, tuple[str, list[dict]]]) -> None:
    """Files (submission id -> (school year, rows)) into landing.<collection>."""
    c = get(collection)
    con.execute(create_table_sql("landing", c, replace=True))
    marks = ", ".join("?" for _ in range(len(c.column_names) + 4))
    for sid, (period, rows) in files.items():
        for i, row in enumerate(rows):
            con.execute(
                f"INSERT INTO landing.{collection} VALUES ({marks})",
                [row.get(n) for n in c.column_names] + [sid, i + 2, row["lea_id"], period],
            )


def _ppps(fall: int, day: dt.date) -> dict:
    return {
        "lea_id": "2500001",
        "school_year": f"{fall}-{(fall + 1) % 100:02d}",
        "count_date": day,
        "student_id": "P1",
        "birth_date": dt.date(fall - 10, 1, 1),
        "private_school_id": "A0000001",
        "private_school_nonprofit": True,
        "elementary_or_secondary": True,
        "home_schooled": False,
        "resident_state": "MA",
        "disability_category": "SLD",
        "has_services_plan": True,
    }


@pytest.fixture(scope="module")
def texas(profile):
    return dataclasses.replace(
        profile, count_fixed_day=None, count_weekday_rule=parse_count_day(TEXAS, "count.day")
    )


def _window_findings(con, collection, profile):
    found = validate_batch(con, collection, profile, AS_OF)
    assert found == validate_batch_sql(con, collection, profile, AS_OF)  # same words both ways
    return [f for f in found if f.rule_id.endswith("count_date.window")]


def test_roster_counted_on_another_day_is_refused_with_the_expected_date(con, texas):
    def roster(fall, day, lea="2500001"):
        year = f"{fall}-{(fall + 1) % 100:02d}"
        return year, [placement(lea, school_year=year, count_date=day,
                                placement_start_date=dt.date(fall, 9, 1))]  # fmt: skip

    _load(
        con,
        "placements",
        {
            1: roster(2023, dt.date(2023, 10, 27)),
            2: roster(2024, dt.date(2024, 10, 25)),
            3: roster(2025, dt.date(2025, 10, 31)),
            4: roster(2025, dt.date(2025, 10, 24)),  # a week early
            5: roster(2024, dt.date(2024, 10, 1)),  # inside the window, not the count day
        },
    )
    f4, f5 = _window_findings(con, "placements", texas)
    assert (f4.submission_id, f4.blocking, f5.submission_id) == (4, True, 5)
    assert "The count day for 2025-26 is 2025-10-31." in f4.message()
    assert '"2025-10-24"' in f4.message()
    assert "The count day for 2024-25 is 2024-10-25." in f5.message()


def test_ppps_count_counted_on_another_day_is_refused(con, texas):
    _load(
        con,
        "ppps_count",
        {1: ("2025-26", [_ppps(2025, dt.date(2025, 10, 31))]),
         2: ("2025-26", [_ppps(2025, dt.date(2025, 11, 1))])},
    )  # fmt: skip
    (f,) = _window_findings(con, "ppps_count", texas)
    assert f.submission_id == 2 and "The count day for 2025-26 is 2025-10-31." in f.text


def test_without_a_count_day_the_message_gives_the_window(con, window_profile):
    _load(con, "ppps_count", {1: ("2025-26", [_ppps(2025, dt.date(2025, 12, 2))])})
    (f,) = _window_findings(con, "ppps_count", window_profile)
    assert "The count window for 2025-26 is 2025-10-01 to 2025-12-01." in f.text
