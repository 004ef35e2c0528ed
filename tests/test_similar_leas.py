"""Similar LEAs (sped/dashboards/similar.py): same type and size band, the LEA itself left out;
their rate each year is their placed students over their students, all peers together; a
count is their median (sped/dashboards/trends.py)."""

from __future__ import annotations

import polars as pl
import pytest

from sped.dashboards import charts, similar, trends


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
    trend = trends.peers_of(ood, trends.MEASURES["ood_rate"], ["B", "C"])
    assert trend["value"].to_list() == pytest.approx([(12 + 9) / (120 + 180), 29 / 290])
    assert similar.size_band(999) == "200 to 999 students with IEPs"
    counts = ood.with_columns(referred=pl.Series([1, 4, 6, 9, 2, 3, 5, 7]))
    median = trends.peers_of(counts, trends.MEASURES["referred"], ["B", "C", "D"])
    assert median["value"].to_list() == [6, 5]  # a count: the peers' median, not their sum
    table = pl.DataFrame(
        {
            "school_year": ["2024-25", "2025-26"],
            "ood_rate": [0.04, 0.05],
            "similar_ood_rate": [0.1, 0.1],
            "state_ood_rate": [0.05, 0.05],
        }
    )
    chart = charts.trend(
        "lea-ood",
        "A",
        table,
        [("ood_rate", "Out-of-district rate")],
        kind="rate",
        rule="r",
        who="A",
    )
    assert [t.name for t in chart.figure.data] == [
        "Out-of-district rate: A",
        "Out-of-district rate: similar LEAs",
        "Out-of-district rate: state",
    ]
