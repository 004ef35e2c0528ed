"""The state profile: one YAML file with the settings where states differ (docs/rules/README.md).

`load_profile` reads and validates it; any problem raises `ProfileError` naming the setting, so a
run with a bad profile stops before it touches data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sped.config.disproportionality import (
    DisproportionalityError,
    Standards,
    parse_standards,
)
from sped.config.spp_targets import Target, TargetError, dbt_var, parse_targets
from sped.contracts import COLLECTIONS
from sped.contracts.codes import USPS_STATES
from sped.contracts.count_day import CountDay, CountDayError, parse_count_day
from sped.contracts.sql import FALL_YEAR
from sped.ingest.limits import DEFAULT_LIMITS, Limits

DEFAULT_PROFILE = Path(__file__).resolve().parents[2] / "config" / "state_profile.yaml"
ROUNDING_RULES = ("round_at_end", "per_child_first")
#: The collections that get a due date: those a district sends once per school year.
DUE_DATE_COLLECTIONS: tuple[str, ...] = tuple(
    c.name
    for c in COLLECTIONS.values()
    if c.period_kind == "school_year" and c.submitted_by == "district"
)
#: Collections counted in the fall: their file is due no earlier than the count's last day.
COUNT_COLLECTIONS = ("placements", "ppps_count")
DUE_YEARS = ("fall", "spring")


class ProfileError(ValueError):
    """The state profile is missing, unreadable or has a bad setting."""


@dataclass(frozen=True)
class DueDate:
    """When a collection is due for a school year: a month-day in the school year's fall
    calendar year (2025 for 2025-26) or its spring calendar year (2026)."""

    collection: str
    month: int
    day: int
    year: str  # "fall" | "spring"

    def for_school_year(self, fall_year: int) -> dt.date:
        """The due date of the school year starting in `fall_year`."""
        return dt.date(fall_year + (self.year == "spring"), self.month, self.day)


@dataclass(frozen=True)
class StateProfile:
    state_code: str
    state_fips: str
    state_name: str
    lea_id_pattern: str
    count_window_start: tuple[int, int]
    count_window_end: tuple[int, int]
    count_fixed_day: tuple[int, int] | None
    count_home_schooled: bool
    evaluation_timeline_days: int
    dd_age_range: tuple[int, int]
    rounding: str
    min_cell_size: int
    due_dates: tuple[DueDate, ...]
    timezone: str = "America/New_York"
    limits: Limits = DEFAULT_LIMITS
    spp_targets: tuple[Target, ...] = ()  # SPP/APR Indicators 5 and 6 (sped.config.spp_targets)
    #: The first school year whose rosters must carry the federal demographics (race/ethnicity,
    #: sex, English learner): earlier years' files may leave them out (docs/federal_files.md).
    first_federal_year: str = "2025-26"
    #: Whether sex X is accepted (where the state's EDFacts submission plan reports it).
    sex_x_allowed: bool = False
    source: str = "<memory>"
    #: A count day that moves from year to year ("last Friday of October"); a fixed one is
    #: `count_fixed_day`. At most one of the two is set.
    count_weekday_rule: CountDay | None = None
    #: Whether next year's IDEA grant may pay a carryover obligation (Massachusetts, June 2017:
    #: docs/rules/proportionate_share.md); off, an expenditure applying to an earlier year is
    #: refused.
    carryover_from_next_grant: bool = False
    #: The standards for significant disproportionality (34 CFR 300.647(b)(1);
    #: sped.config.disproportionality).
    disproportionality: Standards = field(default_factory=Standards)

    @property
    def count_day(self) -> CountDay | None:
        """The state's count-day rule, fixed or moving; None when any day in the window will do."""
        if self.count_fixed_day:
            return CountDay(month=self.count_fixed_day[0], day=self.count_fixed_day[1])
        return self.count_weekday_rule

    @property
    def count_start(self) -> tuple[int, int]:
        """First allowed (month, day) of the count in any year: the count day's earliest when
        the state names one."""
        rule = self.count_day
        return rule.bounds()[0] if rule else self.count_window_start

    @property
    def count_end(self) -> tuple[int, int]:
        """Last allowed (month, day) of the count in any year."""
        rule = self.count_day
        return rule.bounds()[1] if rule else self.count_window_end

    def count_window(self, fall_year: int) -> tuple[dt.date, dt.date]:
        """The allowed count dates of the school year starting in `fall_year` (one day when the
        state names its count day)."""
        rule = self.count_day
        if rule:
            return rule.on(fall_year), rule.on(fall_year)
        return dt.date(fall_year, *self.count_start), dt.date(fall_year, *self.count_end)

    def count_window_sql(self) -> tuple[str, str]:
        """`count_window` as SQL over the declared school year of a row (`_period`)."""
        rule = self.count_day
        if rule:
            return rule.sql(FALL_YEAR), rule.sql(FALL_YEAR)
        return tuple(
            f"make_date({FALL_YEAR}, {m}, {d})" for m, d in (self.count_start, self.count_end)
        )

    def due_date(self, collection: str, fall_year: int) -> dt.date | None:
        """When `collection` is due for the school year starting in `fall_year`; None when the
        collection has no due date (a fiscal-year or state collection)."""
        for due in self.due_dates:
            if due.collection == collection:
                return due.for_school_year(fall_year)
        return None

    def sql_params(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """Values for the `{placeholders}` in contract rule SQL."""
        return {
            "count_start_month": self.count_start[0],
            "count_start_day": self.count_start[1],
            "count_end_month": self.count_end[0],
            "count_end_day": self.count_end[1],
            "count_first_date": self.count_window_sql()[0],
            "count_last_date": self.count_window_sql()[1],
            "carryover_from_next_grant": str(self.carryover_from_next_grant).lower(),
            "home_state": self.state_code,
            "dd_min_age": self.dd_age_range[0],
            "dd_max_age": self.dd_age_range[1],
            "lea_id_pattern": self.lea_id_pattern,
            "as_of": (as_of or dt.date.today()).isoformat(),
            "first_federal_year": self.first_federal_year,
            "sex_x_allowed": "TRUE" if self.sex_x_allowed else "FALSE",
        }

    def dbt_vars(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """The dbt vars every build gets, so marts follow the same profile as validation."""
        return {
            "as_of": (as_of or dt.date.today()).isoformat(),
            "rounding": self.rounding,
            "count_home_schooled": self.count_home_schooled,
            "evaluation_timeline_days": self.evaluation_timeline_days,
            "min_cell_size": self.min_cell_size,
            "home_state": self.state_code,
            "dd_min_age": self.dd_age_range[0],
            "dd_max_age": self.dd_age_range[1],
            "due_dates": {
                d.collection: {"month": d.month, "day": d.day, "year": d.year}
                for d in self.due_dates
            },
            "timezone": self.timezone,
            "spp_targets": dbt_var(self.spp_targets),
            "disproportionality": self.disproportionality.dbt_var(),
            "first_federal_year": self.first_federal_year,
        }


def _month_day(value: Any, setting: str) -> tuple[int, int]:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}-\d{2}", value):
        raise ProfileError(f'{setting} must be a month-day like "10-01", got {value!r}')
    month, day = int(value[:2]), int(value[3:])
    try:
        dt.date(2001, month, day)
    except ValueError:
        raise ProfileError(f"{setting} is not a real day of the year: {value!r}") from None
    return month, day


#: How a profile error names the type a setting must have.
TYPE_NAMES = {
    int: "an integer",
    str: 'a string (in quotes if it looks like a number: "25")',
    bool: "true or false",
    dict: "a mapping of settings",
    list: "a list like [3, 5]",
}


def _require(data: dict, key: str, kind: type) -> Any:
    if key not in data:
        raise ProfileError(f"missing setting {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProfileError(f"{key} must be {TYPE_NAMES[kind]}, got {value!r}")
    return value


def _due_dates(data: dict, count_end: tuple[int, int]) -> tuple[DueDate, ...]:
    """The `due_dates` section: one entry per school-year district collection."""
    section = _require(data, "due_dates", dict)
    unknown = sorted(set(section) - set(DUE_DATE_COLLECTIONS), key=str)
    if unknown:
        raise ProfileError(
            f"due_dates.{unknown[0]}: no such collection with a school-year due date; "
            f"expected {', '.join(DUE_DATE_COLLECTIONS)}"
        )
    dues = []
    for collection in DUE_DATE_COLLECTIONS:
        setting = f"due_dates.{collection}"
        entry = section.get(collection)
        if entry is None:
            raise ProfileError(f'missing setting {setting!r} (e.g. {{day: "12-15", year: fall}})')
        if not isinstance(entry, dict) or set(entry) != {"day", "year"}:
            raise ProfileError(
                f'{setting} must be a mapping with day and year, like {{day: "12-15", '
                f"year: fall}}, got {entry!r}"
            )
        month, day = _month_day(entry["day"], f"{setting}.day")
        year = entry["year"]
        if year not in DUE_YEARS:
            raise ProfileError(
                f"{setting}.year must be fall (the calendar year the school year starts) or "
                f"spring (the year it ends), got {year!r}"
            )
        if year == "fall" and (month, day) < (7, 1):
            raise ProfileError(
                f"{setting} {entry['day']} in the fall year is before July 1, before the "
                "school year starts; did you mean spring?"
            )
        if collection in COUNT_COLLECTIONS and year == "fall" and (month, day) < count_end:
            raise ProfileError(
                f"{setting} {entry['day']} is before the count's last day "
                f"{count_end[0]:02d}-{count_end[1]:02d}: the file cannot be due before the "
                "children are counted"
            )
        dues.append(DueDate(collection, month, day, year))
    return tuple(dues)


def _optional_flag(data: dict, key: str) -> bool:
    """A true/false setting that may be left out (false)."""
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ProfileError(f"{key} must be true or false, got {value!r}")
    return value


def _count_day(
    count: dict, window: tuple[tuple[int, int], tuple[int, int]]
) -> tuple[tuple[int, int] | None, CountDay | None]:
    """`count.day` (a month-day or a weekday rule) or its older spelling `count.fixed_day` (a
    month-day): (fixed month-day, weekday rule), at most one set; (None, None) when any day of
    the window will do."""
    if count.get("day") is not None and count.get("fixed_day") is not None:
        raise ProfileError("set count.day or count.fixed_day (its older spelling), not both")
    setting = "count.day" if count.get("day") is not None else "count.fixed_day"
    value = count.get(setting.removeprefix("count."))
    if value is None:
        return None, None
    if setting == "count.fixed_day":
        _month_day(value, setting)  # the older spelling takes a month-day only
    try:
        rule = parse_count_day(value, setting, window)
    except CountDayError as exc:
        raise ProfileError(str(exc)) from None
    return ((rule.month, rule.day), None) if rule.fixed else (None, rule)


def _federal(data: dict) -> tuple[str, bool]:
    """The `federal` section: the first school year whose rosters must carry the federal
    demographics, and whether sex X is accepted."""
    section = _require(data, "federal", dict)
    unknown = sorted(set(section) - {"first_year", "sex_x_allowed"}, key=str)
    if unknown:
        raise ProfileError(
            f"federal.{unknown[0]}: no such setting; expected first_year, sex_x_allowed"
        )
    first = section.get("first_year")
    if (
        not isinstance(first, str)
        or not re.fullmatch(r"\d{4}-\d{2}", first)
        or (int(first[:4]) + 1) % 100 != int(first[5:])
    ):
        raise ProfileError(
            f'federal.first_year must be a school year in quotes like "2025-26", got {first!r}'
        )
    sex_x = section.get("sex_x_allowed", False)
    if not isinstance(sex_x, bool):
        raise ProfileError(f"federal.sex_x_allowed must be true or false, got {sex_x!r}")
    return first, sex_x


def _limits(data: dict) -> Limits:
    """The `limits` section: what one submitted file may cost to read. Absent settings keep
    their safe defaults; every value must be a positive number."""
    section = data.get("limits")
    if section is None:
        return DEFAULT_LIMITS
    if not isinstance(section, dict):
        raise ProfileError(f"limits must be a mapping of settings, got {section!r}")
    fields = {f.name: f.type for f in dataclasses.fields(Limits)}
    unknown = sorted(set(section) - set(fields), key=str)
    if unknown:
        raise ProfileError(
            f"limits.{unknown[0]}: no such limit; expected one of {', '.join(fields)}"
        )
    values = {}
    for name, value in section.items():
        whole = fields[name] == "int"
        ok = isinstance(value, int) if whole else isinstance(value, int | float)
        if not ok or isinstance(value, bool) or not value > 0:
            kind = "a positive whole number" if whole else "a positive number"
            raise ProfileError(f"limits.{name} must be {kind}, got {value!r}")
        values[name] = value
    return Limits(**values)


def parse_profile(data: Any, source: str = "<memory>") -> StateProfile:
    """Validate a profile already read from YAML."""
    if not isinstance(data, dict):
        raise ProfileError("the profile must be a YAML mapping of settings")
    state_code = _require(data, "state_code", str)
    if state_code not in USPS_STATES:
        raise ProfileError(f"state_code must be a USPS state code, got {state_code!r}")
    fips = _require(data, "state_fips", str)
    if not re.fullmatch(r"\d{2}", fips):
        raise ProfileError(f"state_fips must be two digits in quotes, got {fips!r}")
    pattern = _require(data, "lea_id_pattern", str)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ProfileError(f"lea_id_pattern is not a valid regular expression: {exc}") from None

    count = _require(data, "count", dict)
    start = _month_day(count.get("window_start"), "count.window_start")
    end = _month_day(count.get("window_end"), "count.window_end")
    if start < (10, 1) or end > (12, 1) or start > end:
        raise ProfileError(
            "the count window must lie between October 1 and December 1 (34 CFR 300.133(c)), "
            f"got {count.get('window_start')} to {count.get('window_end')}"
        )
    fixed_day, weekday_rule = _count_day(count, (start, end))

    dd = _require(data, "dd_age_range", list)
    if len(dd) != 2 or not all(isinstance(x, int) for x in dd) or not 3 <= dd[0] <= dd[1] <= 9:
        raise ProfileError(f"dd_age_range must be [low, high] within 3-9 (300.8(b)), got {dd!r}")
    rounding = _require(data, "rounding", str)
    if rounding not in ROUNDING_RULES:
        raise ProfileError(f"rounding must be one of {ROUNDING_RULES}, got {rounding!r}")
    timeline = _require(data, "evaluation_timeline_days", int)
    min_cell = _require(data, "min_cell_size", int)
    if timeline <= 0 or min_cell < 1:
        raise ProfileError("evaluation_timeline_days and min_cell_size must be positive")
    rule = weekday_rule or (CountDay(*fixed_day) if fixed_day else None)
    due_dates = _due_dates(data, rule.bounds()[1] if rule else end)
    timezone = _require(data, "timezone", str)
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ProfileError(
            f"timezone must be an IANA time zone like America/New_York, got {timezone!r}"
        ) from None
    try:
        spp_targets = parse_targets(data.get("spp_targets"))
    except TargetError as exc:
        raise ProfileError(str(exc)) from None
    try:
        disproportionality = parse_standards(data.get("disproportionality"))
    except DisproportionalityError as exc:
        raise ProfileError(str(exc)) from None

    first_federal_year, sex_x_allowed = _federal(data)
    return StateProfile(
        state_code=state_code,
        state_fips=fips,
        state_name=str(data.get("state_name", state_code)),
        lea_id_pattern=pattern,
        count_window_start=start,
        count_window_end=end,
        count_fixed_day=fixed_day,
        count_home_schooled=bool(_require(data, "count_home_schooled", bool)),
        evaluation_timeline_days=timeline,
        dd_age_range=(dd[0], dd[1]),
        rounding=rounding,
        min_cell_size=min_cell,
        due_dates=due_dates,
        timezone=timezone,
        limits=_limits(data),
        spp_targets=spp_targets,
        first_federal_year=first_federal_year,
        sex_x_allowed=sex_x_allowed,
        source=source,
        count_weekday_rule=weekday_rule,
        carryover_from_next_grant=_optional_flag(data, "carryover_from_next_grant"),
        disproportionality=disproportionality,
    )


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """The parser's complaint in one line: where (line and column, counted from 1) and what."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def load_profile(path: str | Path | None = None) -> StateProfile:
    """Read and validate the profile at `path` (default: config/state_profile.yaml)."""
    path = Path(path) if path else DEFAULT_PROFILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"cannot read the state profile {path}: {exc.strerror}") from None
    key = (str(path), text)
    if key in _LOADED:  # read again (it may have changed), parsed and checked once per text
        return _LOADED[key]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path} is not valid YAML: {_yaml_problem(exc)}") from None
    try:
        profile = parse_profile(data, source=str(path))
    except ProfileError as exc:
        raise ProfileError(f"{path}: {exc}") from None
    _LOADED.clear()
    _LOADED[key] = profile
    return profile


#: The last profile loaded, by its path and text: a run asks for it in every step (14 times a
#: pipeline run, 20 ms each to parse and check).
_LOADED: dict[tuple[str, str], StateProfile] = {}
