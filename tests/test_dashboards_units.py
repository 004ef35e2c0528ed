"""The dashboards' pure parts, without a warehouse build: filters and scopes, formula
injection in downloads, the funnel-plot limits against hand arithmetic, the chart notes read
from the dbt docs, and the national reference loader."""

from __future__ import annotations

import io
import math

import duckdb
import openpyxl
import polars as pl
import pytest

from sped.dashboards import charts, exports, outliers
from sped.dashboards.column_docs import column_doc, raw_column_doc
from sped.dashboards.scope import FilterError, Filters, Scope, ScopeError
from sped.warehouse import national_reference

# -- scope and filters -----------------------------------------------------------------------


def test_filters_reject_malformed_values():
    for bad in ({"school_year": "2025"}, {"school_year": "2025-27"}, {"lea_id": "1; drop"},
                {"lea_type": "PRIVATE"}, {"fiscal_year": 12}):  # fmt: skip
        with pytest.raises(FilterError):
            Filters(**bad)
    assert Filters(school_year="2099-00").school_year == "2099-00"


def test_a_district_scope_refuses_other_leas_and_needs_an_lea():
    scope = Scope.district({"2500010"})
    scope.check_lea("2500010")
    scope.check_lea(None)
    with pytest.raises(ScopeError):
        scope.check_lea("2500020")
    with pytest.raises(ScopeError):
        Scope.district(set())
    Scope.state().check_lea("2500020")


# -- exports ---------------------------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "-"]


def test_formula_prefixes_are_neutralised_in_csv():
    frame = pl.DataFrame({"detail": HOSTILE, "n": list(range(len(HOSTILE)))})
    text = exports.to_csv(frame).decode()
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["detail", "n"]
    cells = [r[0] for r in rows[1:]]
    assert cells[:6] == ["'" + v for v in HOSTILE[:6]]
    assert cells[6:] == ["plain", "-"]  # ordinary text and the lone "not available" dash
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(HOSTILE))]


def test_formula_prefixes_are_neutralised_in_xlsx_and_numbers_stay_numbers():
    frame = pl.DataFrame({"=header": HOSTILE, "rate": [0.5] * len(HOSTILE)})
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(frame)))
    sheet = book.active
    assert sheet.cell(1, 1).value == "'=header"
    for i, value in enumerate(HOSTILE, start=2):
        cell = sheet.cell(i, 1)
        assert cell.data_type == "s"  # never a formula
        expected = "'" + value if value not in ("plain", "-") else value
        assert cell.value == expected.replace("\r", "\n")  # XML reads a CR back as LF
        assert sheet.cell(i, 2).value == 0.5


def test_wide_integer_columns_export():
    frame = pl.DataFrame({"students": pl.Series([1, 2], dtype=pl.Int128)})
    assert exports.to_csv(frame).decode() == "students\r\n1\r\n2\r\n"


# -- outliers --------------------------------------------------------------------------------


def test_funnel_limits_are_the_binomial_normal_limits():
    lo, hi = outliers.limits(0.06, 100, 3.09)
    half = 3.09 * math.sqrt(0.06 * 0.94 / 100)
    assert (lo, hi) == pytest.approx((max(0.0, 0.06 - half), 0.06 + half))  # clipped at 0
    assert outliers.flag(0.20, 0.06, 100) == "HIGH"  # 0.20 > 0.06 + 0.073
    assert outliers.flag(0.12, 0.06, 100) == "WATCH"  # above 1.96 (0.1065), below 3.09 (0.1334)
    assert outliers.flag(0.07, 0.06, 100) == "WITHIN"
    assert outliers.flag(0.0, 0.06, 1000) == "LOW"
    # a small LEA with the same rate is not an outlier: its limits are wider
    assert outliers.flag(0.20, 0.06, 10) == "WITHIN"
    assert outliers.flag(None, 0.06, 10) is None


def test_flag_rates_adds_limits_and_flags():
    rows = pl.DataFrame(
        {"ood_rate": [0.2, 0.06], "students": [100, 100], "state_ood_rate": [0.06, 0.06]}
    )
    out = outliers.flag_rates(rows)
    assert out["outlier_flag"].to_list() == ["HIGH", "WITHIN"]
    assert out["upper_limit"][0] == pytest.approx(0.06 + 3.09 * math.sqrt(0.06 * 0.94 / 100))


# -- chart notes, palette, plotly.js -----------------------------------------------------------


def test_chart_notes_are_the_dbt_column_docs():
    assert raw_column_doc("fct_monitoring_coverage", "coverage_rate") == (
        "fully_covered / ood_students."
    )
    # on a page: no column names, dbt expressions or repository paths
    assert column_doc("fct_monitoring_coverage", "coverage_rate") == (
        "Fully covered over students placed out of district."
    )
    assert "var(" not in column_doc("fct_proportionate_share", "status_611")
    assert "docs/rules" not in column_doc("fct_out_of_district", "ood_rate")
    status = column_doc("fct_proportionate_share", "status_611")
    assert "34 CFR 300.133(a)(3)" in status and "{{" not in status
    assert column_doc("fct_out_of_district", "no_such_column") == ""


def test_the_palette_is_okabe_ito_and_the_tracker_avoids_red_green():
    assert set(charts.PALETTE) <= set(charts.OKABE_ITO.values())
    for colour in charts.STATUS_COLOURS.values():
        assert colour in charts.OKABE_ITO.values()


def test_plotly_js_is_written_for_the_app_to_serve(tmp_path):
    path = charts.write_plotlyjs(tmp_path / "static" / "plotly.min.js")
    text = path.read_text(encoding="utf-8")
    assert len(text) > 1_000_000 and "plotly" in text[:2000].lower()


# -- the national reference loader -----------------------------------------------------------


def _tiny_618(path, rc80="70"):
    header = ["Year", "State Name", "SEA Education Environment", "SEA Disability Category",
              "Age 3 to 5", "Ages 6-21", "Asian Age 3-5 "]  # fmt: skip
    lines = ["Extraction Date:,7/11/2018", "Updated:,", "Revised:,", ",", ",".join(header),
             f"2017,Alpha,Inside regular class 80% or more of the day,All Disabilities,-,{rc80},-",
             "2017,Alpha,Home,All Disabilities,x,-,-", "", " -------------------",
             " -  Data not available"]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_national_file_loads_as_published_and_only_once(tmp_path):
    con = duckdb.connect()
    path = _tiny_618(tmp_path / "618.csv")
    first = national_reference.load(con, path)
    assert (first.rows, first.reloaded) == (2, True)
    rows = con.execute(
        "SELECT state_name, age_3_to_5, ages_6_21, asian_age_3_5, _source_row "
        "FROM raw.national_environments ORDER BY _source_row"
    ).fetchall()
    assert rows == [("Alpha", "-", "70", "-", 6), ("Alpha", "x", "-", "-", 7)]
    assert national_reference.load(con, path).reloaded is False
    _tiny_618(path, rc80="71")
    assert national_reference.load(con, path).reloaded is True
    assert con.execute("SELECT max(ages_6_21) FROM raw.national_environments").fetchall() == [
        ("71",)
    ]


def test_a_file_that_is_not_a_618_file_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a\nb\nc\nd\nYear,Name\n2017,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a 618 child count file"):
        national_reference.load(duckdb.connect(), bad)


def test_the_shipped_file_is_the_published_one():
    import hashlib

    data = national_reference.NATIONAL_FILE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "e2a3ba581b7f2dc322ad41f60ff4e3be1dd5218e865116f6c84e803c84c51645"
    )
    header, rows, _ = national_reference.read_rows(national_reference.NATIONAL_FILE)
    assert len(header) == 50 and len(rows) == 61 * 14 * 19


def test_a_chart_without_a_value_still_gives_json_the_browser_parses():
    table = pl.DataFrame({"school_year": ["2024-25", "2025-26"], "x_rate": [None, float("nan")]})
    text = charts.trend("t", "Nothing yet", table, [("x_rate", "X")], kind="rate", rule="r").json()
    assert "NaN" not in text and "Infinity" not in text
    import json

    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the figure's JSON"))
