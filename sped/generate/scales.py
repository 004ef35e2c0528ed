"""The sizes the generator can make, and the fixed rates that shape a synthetic state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    leas: int
    students: int  # students with IEPs, ages 3-21, per year
    facilities: int


SCALES: dict[str, Scale] = {
    "small": Scale("small", leas=20, students=6_000, facilities=24),
    "state": Scale("state", leas=400, students=170_000, facilities=160),
    "large": Scale("large", leas=1_000, students=800_000, facilities=400),
}

#: State mean out-of-district rate (Massachusetts places about 6%; DOMAIN.md 3).
OOD_RATE_MEAN = 0.06
#: Share of district files that carry one realistic defect (see defects.py).
DEFECT_RATE = 0.04
#: Share of defective files for which the district later sends a corrected `_v2` file.
RESUBMIT_RATE = 0.5
#: Share of clean district files sent as XLSX, and as CSV with M/D/YYYY dates.
XLSX_RATE = 0.02
US_DATES_RATE = 0.05
#: Students who stay on the roster from one year to the next (the rest exit or graduate).
RETENTION = 0.88


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None
