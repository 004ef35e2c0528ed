"""How every number and code is written, by kind, in one place: pages, cards and charts use
these so that they agree to the unit.

Kinds: `money` (dollars with `$`, thousands separators and cents: `$108,936.26`), `rate` (a
share 0-1 written as a percentage with one decimal: `8.1%`), `points` (a change of a rate, in
percentage points: `+0.2 percentage points`), `count` (whole numbers with thousands separators),
`days`, `risk` (a share 0-1 as a percentage with two decimals: `12.35%`; a disproportionality
risk) and `ratio` (a risk ratio with two decimals: `3.24`). `D3` gives plotly the same formats
(a chart's axis, hover and delta), so a card's `$41,056.50` is the chart's `$41,056.50`.

A column's kind comes from its name and type (`kind_of`): the marts keep money as DECIMAL and
rates as DOUBLE named `*_rate`, `share` or `*_limit`. Code columns are written in words from the
one table of labels (`sped.contracts.labels`); `heading` writes a column's name in words.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sped.contracts.labels import CODE_SETS, COLUMN_CODE_SETS, label

MISSING = "\u2014"
MINUS = "\u2212"
D3 = {
    "money": "$,.2f",
    "rate": ".1%",
    "count": ",.0f",
    "days": ",.0f",
    "risk": ".2%",
    "ratio": ".2f",
}
#: Columns of marts.fct_significant_disproportionality written as risks and ratios.
RISK_COLUMNS = ("risk", "comparison_risk")
RATIO_COLUMNS = ("risk_ratio", "risk_ratio_threshold")
RATE_WORDS = ("_rate", "share", "_limit")
MONEY_WORDS = ("required_", "spent_", "subgrant_", "shortfall_", "amount", "allocation")
DAY_WORDS = ("days",)

#: Column names written in words on pages (anything else: underscores as spaces, with the
#: abbreviations spelled as `WORDS` says).
HEADINGS: dict[str, str] = {
    "lea_id": "LEA id",
    "lea_name": "LEA",
    "ood_students": "Students placed out of district",
    "ood_rate": "Out-of-district rate",
    "state_ood_rate": "State out-of-district rate",
    "indicator_5c_rate": "Indicator 5C rate",
    "state_indicator_5c_rate": "State Indicator 5C rate",
    "indicator_5c_students": "Indicator 5C students",
    "ood_in_state": "Placed out of district in the state",
    "ppps_count_3_21": "Parentally placed children, ages 3-21",
    "ppps_count_3_5": "Parentally placed children, ages 3-5",
    "public_count_3_21": "Public-school children with disabilities, ages 3-21",
    "public_count_3_5": "Public-school children with disabilities, ages 3-5",
    "ppps_count_source": "Source of the count",
    "median_days_consent_to_evaluation": "Median days from consent to evaluation",
    "age_group_students": "Students in the age group",
    "age_group_suppressed": "Age group hidden",
    "has_suppressed_cells": "Has hidden cells",
    "sha256": "SHA-256",
}
WORDS = {"lea": "LEA", "ood": "out-of-district", "ppps": "parentally placed", "iep": "IEP"}


def money(value: float | Decimal | None) -> str:
    if value is None:
        return MISSING
    sign = MINUS if value < 0 else ""
    return f"{sign}${abs(float(value)):,.2f}"


def rate(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value) * 100:.1f}%"


def points(change: float | None) -> str:
    """A change of a rate (0-1 scale) in percentage points, with its sign."""
    if change is None:
        return MISSING
    sign = "+" if change >= 0 else MINUS
    return f"{sign}{abs(change) * 100:.1f} percentage points"


def count(value: float | int | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value):,.0f}"


def days(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value):,.0f} days"


def risk(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value) * 100:.2f}%"


def ratio(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value):.2f}"


def shown(value, kind: str) -> str:
    """`value` written as a `kind` (money, rate, count, days, risk, ratio)."""
    kinds = {"money": money, "rate": rate, "count": count, "days": days}
    return {**kinds, "risk": risk, "ratio": ratio}[kind](value)


def change(value: float | None, kind: str) -> str:
    """A change from one year to the next: points for rates, signed money or counts."""
    if value is None:
        return MISSING
    if kind == "rate":
        return points(value)
    sign = "+" if value >= 0 else MINUS
    return sign + shown(abs(value), kind)


def kind_of(column: str, value: object = None) -> str:
    """What a column holds: money, rate, count, days, code or text."""
    if column in COLUMN_CODE_SETS:
        return "code"
    if isinstance(value, bool):
        return "text"
    if isinstance(value, Decimal) or any(w in column for w in MONEY_WORDS):
        return "money" if not isinstance(value, str) else "text"
    if isinstance(value, float) or value is None:
        if column in RISK_COLUMNS or column in RATIO_COLUMNS:
            return "risk" if column in RISK_COLUMNS else "ratio"
        if any(w in column for w in DAY_WORDS):
            return "days"
        if any(column.endswith(w) or column == w.strip("_") for w in RATE_WORDS):
            return "rate"
    if isinstance(value, int) and not column.endswith(("_id", "year")):
        return "count"
    return "text"


def cell(value: object, column: str) -> str:
    """One table cell as a page shows it: codes in words, numbers by kind, — for nothing."""
    if value is None:
        return MISSING
    kind = kind_of(column, value)
    if kind == "code":
        return label(COLUMN_CODE_SETS[column], str(value))
    if kind in ("money", "rate", "count", "days", "risk", "ratio"):
        return shown(value, kind)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def heading(column: str) -> str:
    """A column's name in words."""
    if column in HEADINGS:
        return HEADINGS[column]
    words = [WORDS.get(w, w) for w in column.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


#: What the state profile's settings are called in page text (a dbt `var('...')`).
SETTING_WORDS = {
    "as_of": "the as-of date",
    "timezone": "the state's time zone",
    "due_dates": "the due dates",
}
RULE_PAGES = {
    "contracts": "the collection rules",
    "proportionate_share": "the proportionate-share rules",
    "child_find": "the child-find rules",
    "placements_and_lre": "the placement and LRE rules",
    "identifiers_and_privacy": "the identifier and privacy rules",
    "federal_reporting": "the federal reporting rules",
    "spp_indicators": "the SPP indicator rules",
    "disproportionality": "the significant disproportionality rules",
}
_VAR = re.compile(r"""`?var\s*\(\s*['"](\w+)['"]\s*\)`?|\bvar (\w+)""")
_RULE_PAGE = re.compile(r"docs/rules/(\w+)\.md")
_MODEL_PREFIX = re.compile(r"\b(?:fct|dim|stg|int|shr)_\w+\.")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\b")
#: Code sets whose codes are written in words inside prose (short codes elsewhere, such as
#: CFR or FY, are words already).
PROSE_CODE_SETS = ("environment", "placement_type", "share_status", "timeliness")


def prose(text: str) -> str:
    """Documentation written for the warehouse made readable on a page: no dbt expression
    (`var('as_of')` is "the as-of date"), no repository path (docs/rules/contracts.md is "the
    collection rules"), no column name (fully_covered / ood_students is "fully covered over
    students placed out of district") and codes in words."""
    if not text:
        return text
    text = _VAR.sub(lambda m: SETTING_WORDS.get(m.group(1) or m.group(2), "a state setting"), text)
    text = _RULE_PAGE.sub(lambda m: RULE_PAGES.get(m.group(1), "the rules"), text)
    text = _MODEL_PREFIX.sub("", text)
    text = text.replace("`", "")
    text = _SNAKE.sub(lambda m: heading(m.group(0)).lower().replace("lea ", "LEA "), text)
    words = {code: w for s in PROSE_CODE_SETS for code, w in CODE_SETS[s].items()}
    words.pop("PPPS", None)  # an acronym prose uses as a word
    text = _CODE.sub(lambda m: words.get(m.group(0), m.group(0)), text)
    text = re.sub(r"(\S) / (\S)", r"\1 over \2", text)
    return text[:1].upper() + text[1:]
