"""Similar LEAs (sped/dashboards/similar.py): same type and size band, the LEA itself left out;
their rate each year is their placed students over their students, all peers together."""

from __future__ import annotations

import polars as pl
import pytest

from sped.dashboards import charts, similar


def test_peers_are_the_same_type_and_size_band_and_their_rate_is_pooled():
    ood = pl.DataFrame(
        {
            "lea_id": ["A", "B", "C", "D", "A", "B", "C", "D"],
            "school_year": ["2024-25"] * 4 + ["2025-26"] * 4,
            "students": [150, 120, 180, 900, 160, 100, 190, 950],
            "ood_students": [6, 12, 9, 40, 8, 10, 19, 45],
            "ood_rate": [0.04, 0.1, 0.05, 0.044, 0.05, 0.1, 0.1, 0.047],
        }
    )
    leas = pl.DataFrame(
        {"lea_id": ["A", "B", "C", "D"], "lea_type": ["REGULAR", "REGULAR", "CHARTER", "REGULAR"]}
    )
    assert similar.similar_leas(ood, leas, "A") == ["B"]  # C: charter; D: another size band
    trend = similar.peer_trend(ood, ["B", "C"])
    assert trend["peers_ood_rate"].to_list() == pytest.approx([(12 + 9) / (120 + 180), 29 / 290])
    assert similar.size_band(999) == "200 to 999 students with IEPs"
    chart = charts.lea_ood_trend(
        ood.filter(pl.col("lea_id") == "A").with_columns(
            state_ood_rate=pl.lit(0.05),
            indicator_5c_rate=pl.lit(0.01),
            state_indicator_5c_rate=pl.lit(0.02),
        ),
        "A",
        similar.peer_trend(ood, ["B"]),
        "regular districts with under 200 students with IEPs",
    )
    assert "Similar LEAs' out-of-district rate" in [t.name for t in chart.figure.data]
    assert chart.notes == [
        "Similar LEAs: regular districts with under 200 students with IEPs (1 LEAs)."
    ]
