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

#: State mean out-of-district rate (Massachusetts places about 6%;
#: docs/rules/placements_and_lre.md).
OOD_RATE_MEAN = 0.06
#: Share of district files that carry exactly one realistic defect (kinds in defects.py).
#: Decided per file from the seed, so the realised share varies a little around it.
DEFECT_RATE = 0.04
#: Share of defective files for which the district later sends a corrected `<name>_v2.csv`.
RESUBMIT_RATE = 0.5
#: Share of district files of a school year sent after the state profile's due date.
LATE_RATE = 0.08
#: Share of clean district files sent as XLSX (first sheet, real Excel dates).
XLSX_RATE = 0.02
#: Share of clean district CSV files "exported from Excel", with M/D/YYYY dates.
US_DATES_RATE = 0.05
#: Students who stay on the roster from one year to the next (the rest exit or move).
RETENTION = 0.88
#: Roster growth from one year to the next.
GROWTH = 1.01


def get_scale(name: str) -> Scale:
    """The scale called `name`, or a ValueError naming the scales that exist."""
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of: {', '.join(SCALES)}") from None
