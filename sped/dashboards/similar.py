"""Similar LEAs: the LEAs of the same type and size band as one LEA, and their figures over the
years, so an LEA's trend can be read beside its peers' and not only beside the state's.

Size band: the LEA's students with IEPs on its latest roster (`fct_out_of_district.students`),
in bands a reader recognises (`SIZE_BANDS`). The peers' figures over the years are
`sped.dashboards.trends`' (a rate: all peers together, the LEA itself left out, the same
arithmetic as the state rate, docs/rules/placements_and_lre.md; a count: their median).
"""

from __future__ import annotations

import polars as pl

#: (lower bound of students with IEPs, words), smallest first
SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 200 students with IEPs"),
    (200, "200 to 999 students with IEPs"),
    (1000, "1,000 to 4,999 students with IEPs"),
    (5000, "5,000 or more students with IEPs"),
)


def size_band(students: int | None) -> str:
    band = SIZE_BANDS[0][1]
    for lower, words in SIZE_BANDS:
        if students is not None and students >= lower:
            band = words
    return band


def bands(ood: pl.DataFrame) -> dict[str, str]:
    """Each LEA's size band on its latest roster."""
    latest = ood.sort("school_year").group_by("lea_id").agg(pl.col("students").last())
    return {lea: size_band(n) for lea, n in latest.iter_rows()}


def similar_leas(ood: pl.DataFrame, leas: pl.DataFrame, lea_id: str) -> list[str]:
    """The other LEAs of `lea_id`'s type and size band."""
    band = bands(ood)
    kinds = dict(zip(leas["lea_id"], leas["lea_type"], strict=True))
    if lea_id not in band or lea_id not in kinds:
        return []
    return sorted(
        other
        for other, b in band.items()
        if other != lea_id and b == band[lea_id] and kinds.get(other) == kinds[lea_id]
    )
