"""Small pure parts of the web application: small-count suppression for auditors, uploaded
file names, and the upload request checks (before anything is stored)."""

from __future__ import annotations

import pytest

from sped.landing.accounts import Account
from sped.web.district_data import suppress_small_counts
from sped.web.uploads import UploadRefused, check_request, safe_name

CLERK = Account("clerk", "district", "", ("2500001",), False)
AUDITOR = Account("aud", "auditor", "", (), False)


def test_small_counts_and_the_rates_of_their_row_are_hidden():
    rows = [
        {"school_year": "2025-26", "referred": 3, "evaluated": 12, "timely_rate": 0.5},
        {"school_year": "2024-25", "referred": 0, "evaluated": 40, "timely_rate": 0.9},
    ]
    shown = suppress_small_counts(rows, 10)
    assert shown[0] == {
        "school_year": "2025-26",
        "referred": "<10",
        "evaluated": 12,
        "timely_rate": "suppressed",
    }
    assert shown[1] == rows[1]  # zero and large counts stay; nothing to hide
    only = suppress_small_counts([{"a": 2, "b": 3}], 10, counts=("a",))
    assert only == [{"a": "<10", "b": 3}]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("roster.csv", "roster.csv"),
        ("C:\\\\Users\\\\clerk\\\\roster.csv", "roster.csv"),
        ("../../etc/passwd", "passwd"),
        ("<script>.csv", "_script_.csv"),
        ("", "upload"),
        (None, "upload"),
    ],
)
def test_uploaded_file_names_keep_no_folder_or_markup(given, kept):
    assert safe_name(given) == kept


@pytest.mark.parametrize(
    ("account", "collection", "lea", "period", "name", "status", "why"),
    [
        (AUDITOR, "placements", "2500001", "2025-26", "r.csv", 403, "does not send"),
        (CLERK, "placements", "2500002", "2025-26", "r.csv", 403, "belongs to"),
        (CLERK, "allocations", "2500001", "2026", "r.csv", 422, "Collection must be"),
        (CLERK, "placements", "2500001", "2025", "r.csv", 422, "school year"),
        (CLERK, "placements", "2500001", "2025-26", "r.txt", 422, ".csv and .xlsx"),
    ],
)
def test_upload_requests_are_refused_before_anything_is_stored(
    account, collection, lea, period, name, status, why
):
    with pytest.raises(UploadRefused, match=why) as refused:
        check_request(account, collection, lea, period, name)
    assert refused.value.status == status


def test_a_district_upload_request_for_its_own_lea_passes():
    check_request(CLERK, "placements", "2500001", "2025-26", "roster.XLSX")
