"""One table of words for every code (sped/contracts/labels.py, from sped/contracts/codes.py)
and one place that writes numbers by kind (sped/dashboards/formats.py): every contract code and
every code the marts derive has its words, an export puts a label column beside each code
column, the data dictionary gives each code its meaning, and cards and charts agree to the
unit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml

from sped.config.settings import DBT_PROJECT_DIR
from sped.contracts import COLLECTIONS
from sped.contracts.labels import CODE_SETS, COLUMN_CODE_SETS, column_label, with_labels
from sped.contracts.publish import render_dictionary
from sped.dashboards import formats
from sped.dashboards.formats import MINUS
from sped.dashboards.headlines import Headline


def test_every_contract_code_has_words():
    for c in COLLECTIONS.values():
        for col in c.columns:
            for code in col.codes or ():
                assert col.name in COLUMN_CODE_SETS, (c.name, col.name)
                words = column_label(col.name, code)
                assert words and words != code, (c.name, col.name, code)


def accepted_values(column: str) -> set[str]:
    """The codes dbt accepts in a mart or shared column of that name."""
    found: set[str] = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            for col in model.get("columns") or []:
                if col["name"] != column:
                    continue
                for test in col.get("data_tests") or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = spec.get("arguments", spec).get("values", [])
                        found |= {str(v) for v in values}
    return found


@pytest.mark.parametrize(
    "column",
    ["status_611", "status_619", "submission_status", "timeliness", "suppressed", "ratio_kind"],
)
def test_every_code_a_mart_derives_has_words(column):
    codes = accepted_values(column)
    assert codes, column
    words = CODE_SETS[COLUMN_CODE_SETS[column]]
    assert codes <= set(words), codes - set(words)


def test_every_disproportionality_category_has_words_in_a_category_column():
    codes = accepted_values("category")  # fct_significant_disproportionality's
    assert {"ID_ALL", "PL_SEPARATE"} <= codes
    for code in codes - {"PL_POPULATION"}:  # an intermediate model's denominator, never shown
        assert column_label("category", code) != code, code
    expenditure = CODE_SETS["expenditure_category"]["DIRECT_SERVICES"]
    assert column_label("category", "DIRECT_SERVICES") == expenditure  # an expenditure's still


def test_every_collection_has_words():
    for name, c in COLLECTIONS.items():
        assert column_label("collection", name) == c.title


def test_an_export_puts_the_words_beside_each_code_column():
    frame = pl.DataFrame(
        {"lea_id": ["A"], "status_611": ["NOT_MET"], "required_611": [Decimal("10.00")]}
    )
    out = with_labels(frame)
    assert out.columns == ["lea_id", "status_611", "status_611_label", "required_611"]
    assert out["status_611_label"][0] == "Not met"
    assert with_labels(out).columns == out.columns  # once only


def test_the_dictionary_gives_each_code_its_meaning():
    text = render_dictionary()
    assert "`RC80` Inside regular class 80% or more of the day" in text
    assert "`REC10YSVCS` Regular early childhood program 10+ hours, services there" in text
    committed = (Path(__file__).parents[1] / "docs" / "data_dictionary.md").read_text("utf-8")
    assert committed.strip() == text.strip()


def test_numbers_are_written_by_kind():
    assert formats.cell(Decimal("108936.26"), "required_611") == "$108,936.26"
    assert formats.cell(0.08064516129032258, "ood_rate") == "8.1%"
    assert formats.cell(1.0, "coverage_rate") == "100.0%"
    assert formats.cell(1234, "students") == "1,234"
    assert formats.cell(2026, "fiscal_year") == "2026"
    assert formats.cell("MET_WITH_CARRYOVER", "status_611") == "Met with carryover"
    assert formats.cell(None, "ood_rate") == "\u2014"
    assert formats.change(-0.002, "rate") == "\u22120.2 percentage points"
    assert formats.change(41056.5, "money") == "+$41,056.50"


def test_disproportionality_risks_and_ratios_are_written_with_two_decimals():
    assert formats.cell(0.123456, "risk") == "12.35%"
    assert formats.cell(0.05, "comparison_risk") == "5.00%"
    assert formats.cell(2.9999, "risk_ratio") == "3.00"
    assert formats.cell(3.0, "risk_ratio_threshold") == "3.00"
    assert formats.cell("ARR", "ratio_kind").startswith("Alternate risk ratio")
    assert formats.D3["risk"] == ".2%" and formats.D3["ratio"] == ".2f"


def test_page_text_has_no_dbt_expression_path_or_column_name():
    assert formats.prose("judged as of `var('as_of')`") == "Judged as of the as-of date"
    assert formats.prose("ood_students / students (docs/rules/placements_and_lre.md).") == (
        "Students placed out of district over students (the placement and LRE rules)."
    )


def test_cards_and_charts_agree_to_the_unit():
    from sped.dashboards import charts

    rate = Headline("ood_rate", "Out-of-district rate", 0.081, 0.083, "rate", "p", "r")
    money = Headline("required_611", "Required", 108936.26, 67880.0, "dollars", "p", "r")
    assert rate.shown() == "8.1%" and formats.D3["rate"] == ".1%"
    assert rate.change_shown() == f"{MINUS}0.2 percentage points from the year before"
    assert money.shown() == "$108,936.26" and formats.D3["money"] == "$,.2f"
    assert money.change_shown() == "+$41,056.26 from the year before"
    table = pl.DataFrame({"school_year": ["2024-25", "2025-26"], "ood_rate": [0.083, 0.081]})
    chart = charts.trend(
        "t", "t", table, [("ood_rate", "Out-of-district rate")], kind="rate", rule="r"
    )
    (line,) = chart.figure.data
    assert "%{y:.1%}" in line.hovertemplate  # the card's 8.1% is the chart's 8.1%
    assert list(line.y) == pytest.approx([0.083, 0.081])


def test_the_histogram_counts_whole_leas():
    from sped.dashboards import charts

    rows = pl.DataFrame({"ood_rate": [0.05, 0.051, 0.08], "state_ood_rate": [0.06] * 3})
    fig = charts.ood_distribution(rows, "2025-26").figure
    assert fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.tickformat == ",d"


def test_the_source_of_a_share_count_is_written_in_words():
    """fct_proportionate_share.ppps_count_source's codes (the model's own two) on a page."""
    sql = (DBT_PROJECT_DIR / "models/marts/per_lea/fct_proportionate_share.sql").read_text()
    for code in ("SUBMITTED", "NO_PRIVATE_SCHOOL_LOCATED"):
        assert f"'{code}'" in sql
        assert formats.cell(code, "ppps_count_source") not in ("", code)
