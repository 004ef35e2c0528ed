"""The state's SPP/APR targets for Indicators 5 and 6: the `spp_targets` section of the state
profile, read and checked here (docs/rules/spp_indicators.md).

A state sets a target for each indicator and year in its State Performance Plan (20 U.S.C.
1416(b); 34 CFR 300.601) and reports each LEA's figure against it (300.602(b)(1)(i)(A)). The
direction of each target is fixed by the indicator: more children inside the regular class
(5A) or a regular early childhood program (6A) is better, so the figure must be at least the
target; fewer in separate settings (5B, 5C, 6B) is better, so at most. For 6C (services in the
home) OSEP leaves the direction to the state: the profile says which.

The section, keyed by indicator, then school year (the SPP/APR's federal fiscal year is the fall
year: FFY 2025 is the 2025-26 child count):

    spp_targets:
      5A: {direction: at_least, years: {"2025-26": 65.0}}
      6C: {direction: at_most, years: {"2025-26": 4.5}}

An indicator or a year without a target has none: `meets_target` is NULL there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

INDICATORS: tuple[str, ...] = ("5A", "5B", "5C", "6A", "6B", "6C")
DIRECTIONS: tuple[str, ...] = ("at_least", "at_most")
#: The direction the measurement table fixes; 6C is the state's choice (absent here).
FIXED_DIRECTION: dict[str, str] = {
    "5A": "at_least",
    "5B": "at_most",
    "5C": "at_most",
    "6A": "at_least",
    "6B": "at_most",
}


class TargetError(ValueError):
    """A bad `spp_targets` setting (sped.config.profile turns it into a ProfileError)."""


@dataclass(frozen=True)
class Target:
    """The target of one indicator for one school year: a percent and its direction."""

    indicator: str
    school_year: str
    percent: float
    direction: str  # at_least | at_most

    def met_by(self, percent: float | None) -> bool | None:
        """Whether a figure meets the target (None without a figure)."""
        if percent is None:
            return None
        return percent >= self.percent if self.direction == "at_least" else percent <= self.percent


def _school_year(value: Any, setting: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}", value):
        raise TargetError(
            f'{setting}: a school year looks like "2025-26" (in quotes), got {value!r}'
        )
    if (int(value[:4]) + 1) % 100 != int(value[5:]):
        raise TargetError(f"{setting}: {value} is not two consecutive years")
    return value


def parse_targets(section: Any) -> tuple[Target, ...]:
    """The `spp_targets` section (None or absent: no targets), checked."""
    if section is None:
        return ()
    if not isinstance(section, dict):
        raise TargetError("spp_targets must be a mapping of indicator to {direction, years}")
    unknown = sorted(set(map(str, section)) - set(INDICATORS))
    if unknown:
        raise TargetError(
            f"spp_targets.{unknown[0]}: no such indicator; expected {', '.join(INDICATORS)}"
        )
    out = []
    for indicator in INDICATORS:
        entry = section.get(indicator)
        if entry is None:
            continue
        setting = f"spp_targets.{indicator}"
        if not isinstance(entry, dict) or set(entry) != {"direction", "years"}:
            raise TargetError(
                f"{setting} must be a mapping with direction and years, like {{direction: "
                f'at_least, years: {{"2025-26": 65.0}}}}, got {entry!r}'
            )
        direction = entry["direction"]
        if direction not in DIRECTIONS:
            raise TargetError(f"{setting}.direction must be at_least or at_most, got {direction!r}")
        fixed = FIXED_DIRECTION.get(indicator)
        if fixed and direction != fixed:
            raise TargetError(
                f"{setting}.direction must be {fixed}: the OSEP measurement table counts a "
                f"{'higher' if fixed == 'at_least' else 'lower'} percent as better for {indicator}"
            )
        years = entry["years"]
        if not isinstance(years, dict) or not years:
            raise TargetError(
                f'{setting}.years must map school years to percents, like {{"2025-26": 65.0}}'
            )
        for year, value in years.items():
            year = _school_year(year, f"{setting}.years")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= 100
            ):
                raise TargetError(
                    f"{setting}.years.{year} must be a percent from 0 to 100, got {value!r}"
                )
            out.append(Target(indicator, year, float(value), direction))
    return tuple(sorted(out, key=lambda t: (t.indicator, t.school_year)))


def dbt_var(targets: tuple[Target, ...]) -> list[dict[str, Any]]:
    """The targets as the dbt var `spp_targets` (marts.fct_spp_indicators joins them)."""
    return [
        {
            "indicator": t.indicator,
            "school_year": t.school_year,
            "target": t.percent,
            "direction": t.direction,
        }
        for t in targets
    ]
