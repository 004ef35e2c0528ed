"""The state's standards for significant disproportionality: the `disproportionality` section of
the state profile, read and checked here (docs/rules/disproportionality.md).

34 CFR 300.647(b)(1)(i) has the state set a reasonable risk ratio threshold, a reasonable
minimum cell size and a reasonable minimum n-size; a minimum cell size of at most 10 and a
minimum n-size of at most 30 are presumptively reasonable (300.647(b)(1)(iv)), and a state
may wait until an LEA has exceeded the threshold for up to three prior consecutive years
before identifying it (300.647(d)(2)). Those are the limits enforced here: a profile beyond
them stops with a one-line message naming the setting.

    disproportionality:
      risk_ratio_threshold: 3.0   # a risk ratio above this exceeds the threshold
      min_cell_size: 10           # children with the outcome (risk numerators), 1 to 10
      min_n_size: 30              # children in the group (risk denominators), 1 to 30
      consecutive_years: 3        # years over the threshold before an LEA is significant, 1 to 3

Every setting may be left out (the values above); the section may be left out entirely.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: The regulation's limits: 300.647(b)(1)(iv) (cell and n-size) and (d)(2) (years).
MAX_CELL_SIZE = 10
MAX_N_SIZE = 30
MAX_YEARS = 3


class DisproportionalityError(ValueError):
    """A bad `disproportionality` setting (sped.config.profile turns it into a ProfileError)."""


@dataclass(frozen=True)
class Standards:
    """The state's standards for significant disproportionality (34 CFR 300.647(b)(1))."""

    risk_ratio_threshold: float = 3.0
    min_cell_size: int = 10
    min_n_size: int = 30
    consecutive_years: int = 3

    def dbt_var(self) -> dict[str, Any]:
        """The standards as the dbt var `disproportionality`."""
        return asdict(self)


def _whole(section: dict, key: str, low: int, high: int, why: str) -> int:
    value = section.get(key, getattr(Standards, key))
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DisproportionalityError(
            f"disproportionality.{key} must be a whole number from {low} to {high} ({why}), "
            f"got {value!r}"
        )
    return value


def parse_standards(section: Any) -> Standards:
    """The `disproportionality` section (None or absent: the defaults), checked."""
    if section is None:
        return Standards()
    if not isinstance(section, dict):
        raise DisproportionalityError(
            "disproportionality must be a mapping of risk_ratio_threshold, min_cell_size, "
            "min_n_size and consecutive_years"
        )
    known = ("risk_ratio_threshold", "min_cell_size", "min_n_size", "consecutive_years")
    unknown = sorted(set(map(str, section)) - set(known))
    if unknown:
        raise DisproportionalityError(
            f"disproportionality.{unknown[0]}: no such setting; expected {', '.join(known)}"
        )
    threshold = section.get("risk_ratio_threshold", Standards.risk_ratio_threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 1:
        raise DisproportionalityError(
            "disproportionality.risk_ratio_threshold must be a number of at least 1 (a risk "
            f"ratio below 1 is a group at lower risk than the others), got {threshold!r}"
        )
    return Standards(
        risk_ratio_threshold=float(threshold),
        min_cell_size=_whole(
            section, "min_cell_size", 1, MAX_CELL_SIZE, "34 CFR 300.647(b)(1)(iv): at most 10"
        ),
        min_n_size=_whole(
            section, "min_n_size", 1, MAX_N_SIZE, "34 CFR 300.647(b)(1)(iv): at most 30"
        ),
        consecutive_years=_whole(
            section,
            "consecutive_years",
            1,
            MAX_YEARS,
            "34 CFR 300.647(d)(2): up to three prior consecutive years",
        ),
    )
