"""The monitoring log: activities for each LEA's out-of-district students through the year.

Most students get one to five activities (site visits, progress-report reviews, IEP meetings, desk
reviews) by district staff or a contracted monitor; some only by parents or the placement's own
staff (which never count as monitoring); some none at all. Both are the gaps monitoring finds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sped.contracts.codes import ACTIVITY_TYPES, MONITORS
from sped.generate.writers import to_text

NO_ACTIVITY = 0.08  # out-of-district students with no activity logged at all
NOT_COUNTING = 0.05  # ... with activities only by parents or placement staff
ACTIVITY_P = np.array([0.3, 0.35, 0.25, 0.1])  # in ACTIVITY_TYPES order
WHO_P = np.array([0.78, 0.14, 0.04, 0.04])  # in MONITORS order
WHO_P_NOT_COUNTING = np.array([0.0, 0.0, 0.5, 0.5])


def monitoring_log(
    placed: pl.DataFrame,
    lea_id: str,
    school_year: str,
    as_of: dt.date,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The log for the out-of-district students of a placements frame (strings)."""
    ood = placed.filter(pl.col("placement_type") != "IN_DISTRICT")
    n = ood.height
    u = rng.random(n)
    k = np.where(u < NO_ACTIVITY, 0, rng.integers(1, 6, n))
    rows = np.repeat(np.arange(n), k)
    m = len(rows)
    start = dt.date(int(school_year[:4]), 7, 1)
    end = min(dt.date(int(school_year[:4]) + 1, 6, 30), as_of)
    days = rng.integers(0, (end - start).days + 1, m).astype("timedelta64[D]")
    kind = np.searchsorted(np.cumsum(ACTIVITY_P), rng.random(m) * 0.999999)
    not_counting = (u >= NO_ACTIVITY) & (u < NO_ACTIVITY + NOT_COUNTING)
    who_u = rng.random(m) * 0.999999
    who = np.where(
        not_counting[rows],
        np.searchsorted(np.cumsum(WHO_P_NOT_COUNTING), who_u, side="right"),
        np.searchsorted(np.cumsum(WHO_P), who_u, side="right"),
    )
    facility = ood["facility_id"].to_numpy()[rows]
    frame = pl.DataFrame(
        {
            "lea_id": np.full(m, lea_id),
            "school_year": np.full(m, school_year),
            "student_id": ood["student_id"].to_numpy()[rows].astype(str),
            "facility_id": facility.astype(str),
            "activity_date": np.datetime64(start) + days,
            "activity_type": np.array(ACTIVITY_TYPES)[kind],
            "conducted_by": np.array(MONITORS)[np.minimum(who, 3)],
        },
        schema_overrides={"activity_date": pl.Date},
    )
    return to_text(frame.sort("student_id", "activity_date", "activity_type"), "monitoring_log")
