"""The state's count-day rule: the one day of each school year on which children are counted.

A state may name a fixed month-day ("10-01": October 1 every year) or a weekday of a month
("last Friday of October", "first Monday of November"), which falls on a different date each
year. Either must fall between October 1 and December 1 inclusive in every year (34 CFR
300.641(a), 300.133(c)); `parse_count_day` refuses a rule that can fall outside that window.

`CountDay.on` gives the date for a school year; `CountDay.sql` the same date as SQL over an
expression for the school year's fall calendar year, for the contract rule that refuses roster
and PPPS files counted on another day (`sped.contracts.sql`). docs/rules/proportionate_share.md
describes the settings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

WEEKDAYS = tuple(name.lower() for name in calendar.day_name)  # monday ... sunday
MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
#: Which of the month's weekdays: the first to the fourth always exist; "last" is the final one.
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
#: The federal count window, as (month, day): October 1 to December 1 inclusive.
FEDERAL_WINDOW = ((10, 1), (12, 1))
_WEEKDAY_RULE = re.compile(
    rf"(?P<nth>{'|'.join(ORDINALS)})\s+(?P<weekday>{'|'.join(WEEKDAYS)})\s+(?:of|in)\s+"
    rf"(?P<month>{'|'.join(MONTHS)})",
    re.IGNORECASE,
)
#: Years enough for every weekday of every month-day to occur, leap years included.
_CYCLE = range(2000, 2028)


class CountDayError(ValueError):
    """A count-day rule that cannot be read or can fall outside the count window."""


@dataclass(frozen=True)
class CountDay:
    """A fixed month-day (`day` set) or the `nth` weekday of a month (`weekday`: 0 = Monday;
    `nth` 1-4, or -1 for the last one)."""

    month: int
    day: int | None = None
    weekday: int | None = None
    nth: int | None = None

    @property
    def fixed(self) -> bool:
        return self.day is not None

    def on(self, fall_year: int) -> dt.date:
        """The count date of the school year starting in `fall_year`."""
        if self.day is not None:
            return dt.date(fall_year, self.month, self.day)
        days = calendar.monthrange(fall_year, self.month)[1]
        first = dt.date(fall_year, self.month, 1)
        if self.nth == -1:
            last = dt.date(fall_year, self.month, days)
            return last - dt.timedelta(days=(last.weekday() - self.weekday) % 7)
        offset = (self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1)
        return first + dt.timedelta(days=offset)

    def bounds(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The earliest and the latest (month, day) the rule gives in any year."""
        days = [(d.month, d.day) for d in map(self.on, _CYCLE)]
        return min(days), max(days)

    def describe(self) -> str:
        """The rule in words: "October 1", "the last Friday of October"."""
        month = calendar.month_name[self.month]
        if self.day is not None:
            return f"{month} {self.day}"
        nth = next(k for k, v in ORDINALS.items() if v == self.nth)
        return f"the {nth} {calendar.day_name[self.weekday]} of {month}"

    def sql(self, fall_year: str) -> str:
        """The count date as a DuckDB expression over `fall_year` (an integer expression)."""
        first = f"make_date({fall_year}, {self.month}, 1)"
        if self.day is not None:
            return f"make_date({fall_year}, {self.month}, {self.day})"
        iso = self.weekday + 1  # isodow: Monday = 1
        if self.nth == -1:
            last = f"last_day({first})"
            return f"({last} - CAST((isodow({last}) - {iso} + 7) % 7 AS INTEGER))"
        return (
            f"({first} + CAST(({iso} - isodow({first}) + 7) % 7 + {7 * (self.nth - 1)} AS INTEGER))"
        )


def _month_day_text(md: tuple[int, int]) -> str:
    return f"{calendar.month_name[md[0]]} {md[1]}"


def _falls(rule: CountDay, earliest: tuple[int, int], latest: tuple[int, int]) -> str:
    if rule.fixed:
        return f"is {rule.describe()}"
    return (
        f"({rule.describe()}) falls between {_month_day_text(earliest)} and "
        f"{_month_day_text(latest)} depending on the year"
    )


def parse_count_day(
    value: object, setting: str, window: tuple[tuple[int, int], tuple[int, int]] = FEDERAL_WINDOW
) -> CountDay:
    """Read a count-day rule: "MM-DD", or "<first|second|third|fourth|last> <weekday> of
    <month>". Refused, naming `setting`, when it can fall outside the federal window
    (34 CFR 300.641(a)) or the state's own `window` inside it."""
    if not isinstance(value, str):
        raise CountDayError(
            f'{setting} must be a month-day like "10-01" or a rule like "last Friday of '
            f'October", got {value!r}'
        )
    text = " ".join(value.split())
    if re.fullmatch(r"\d{2}-\d{2}", text):
        try:
            dt.date(2000, int(text[:2]), int(text[3:]))  # a leap year: 02-29 is a day
        except ValueError:
            raise CountDayError(f"{setting} is not a real day of the year: {value!r}") from None
        rule = CountDay(month=int(text[:2]), day=int(text[3:]))
    else:
        match = _WEEKDAY_RULE.fullmatch(text)
        if match is None:
            raise CountDayError(
                f'{setting} must be a month-day like "10-01" or "<first|second|third|fourth|'
                f'last> <weekday> of <month>" like "last Friday of October", got {value!r}'
            )
        rule = CountDay(
            month=MONTHS[match["month"].lower()],
            weekday=WEEKDAYS.index(match["weekday"].lower()),
            nth=ORDINALS[match["nth"].lower()],
        )
    earliest, latest = rule.bounds()
    lo, hi = FEDERAL_WINDOW
    if earliest < lo or latest > hi:
        raise CountDayError(
            f"{setting} {value!r} {_falls(rule, earliest, latest)}, outside the federal count "
            "window of October 1 to December 1 (34 CFR 300.641(a))"
        )
    if earliest < window[0] or latest > window[1]:
        raise CountDayError(
            f"{setting} {value!r} {_falls(rule, earliest, latest)}, outside the state's count "
            f"window {_month_day_text(window[0])} to {_month_day_text(window[1])}"
        )
    return rule
