"""The overview's headline figures for a school year, each with the year before, computed from
the same rows the pages show (`sped.dashboards.figures`), so a headline and its page agree.

The fiscal year of a school year's headlines is the one its fall count sets: the 2025-26 count
sets FY 2026 (34 CFR 300.133(c)).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from sped.dashboards import figures, formats
from sped.dashboards.scope import Filters, Scope


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str  # "rate" (0-1), "count" or "dollars"
    page: str  # the dashboard page it links to
    rule: str  # how it is computed, shown under the number
    lower_is_better: bool = False

    def shown(self) -> str:
        """The value as the overview prints it (`formats`: the chart uses the same)."""
        return formats.shown(self.value, KINDS[self.unit])

    def change_shown(self) -> str:
        """The change from the year before in words (rates in percentage points)."""
        if self.change is None:
            return "no figure for the year before"
        return f"{formats.change(self.change, KINDS[self.unit])} from the year before"

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


#: A headline's unit as a kind of number of `sped.dashboards.formats`.
KINDS = {"rate": "rate", "dollars": "money", "count": "count"}


def previous_school_year(school_year: str) -> str:
    first = int(school_year[:4]) - 1
    return f"{first}-{(first + 1) % 100:02d}"


def fiscal_year_of(school_year: str) -> int:
    """The federal fiscal year whose share the school year's fall count sets."""
    return int(school_year[:4]) + 1


def _ratio(rows: pl.DataFrame, num: str, den: str) -> float | None:
    if rows.is_empty():
        return None
    top, bottom = rows[num].sum(), rows[den].sum()
    return None if not bottom else float(top) / float(bottom)


def _for_year(
    con: duckdb.DuckDBPyConnection, scope: Scope, base: Filters, school_year: str
) -> dict[str, float | None]:
    f = Filters(
        school_year=school_year, lea_id=base.lea_id, lea_type=base.lea_type, county=base.county
    )
    ood = figures.out_of_district(con, scope, f)
    mon = figures.monitoring_coverage(con, scope, f)
    cf = figures.child_find(con, scope, f)
    share = figures.proportionate_share(
        con,
        scope,
        Filters(
            fiscal_year=fiscal_year_of(school_year),
            lea_id=base.lea_id,
            lea_type=base.lea_type,
            county=base.county,
        ),
    )
    subs = figures.submission_status(con, scope, f)
    expected = subs.filter(pl.col("expected"))
    return {
        "ood_rate": _ratio(ood, "ood_students", "students"),
        "indicator_5c_rate": _ratio(ood, "indicator_5c_students", "school_age_students"),
        "coverage_rate": _ratio(mon, "fully_covered", "ood_students"),
        "timely_rate": _ratio(cf, "evaluated_within_timeline", "evaluated_with_consent"),
        "required_611": float(share["required_611"].sum()) if share.height else None,
        "shortfall": (
            float(share["shortfall_611"].sum() + share["shortfall_619"].sum())
            if share.height
            else None
        ),
        "not_met": float(share.filter(pl.col("status_611") == "NOT_MET").height)
        if share.height
        else None,
        "missing": float(expected.filter(pl.col("submission_status") != "IN_FORCE").height)
        if expected.height
        else None,
        "late": float(expected.filter(pl.col("timeliness").is_in(["LATE", "OVERDUE"])).height)
        if expected.height
        else None,
    }


def headlines(
    con: duckdb.DuckDBPyConnection, scope: Scope, school_year: str, base: Filters | None = None
) -> list[Headline]:
    """The overview's figures for `school_year` and the year before (LEA type and county
    filters apply)."""
    base = base or Filters()
    now = _for_year(con, scope, base, school_year)
    before = _for_year(con, scope, base, previous_school_year(school_year))
    fy = fiscal_year_of(school_year)

    def h(key, label, unit, page, rule, lower_is_better=False) -> Headline:
        return Headline(key, label, now[key], before[key], unit, page, rule, lower_is_better)

    return [
        h("ood_rate", "Out-of-district rate", "rate", "out-of-district",
          "Students placed out of district / students on the rosters", lower_is_better=True),
        h("indicator_5c_rate", "Indicator 5C", "rate", "out-of-district",
          "School-age students in separate schools, residential facilities or homebound / "
          "school-age students", lower_is_better=True),
        h("coverage_rate", "Monitoring coverage", "rate", "monitoring",
          "Out-of-district students with a plan and countable monitoring / out-of-district "
          "students (603 CMR 28.06(3)(b)); target 100%"),
        h("timely_rate", "Child find evaluations on time", "rate", "child-find",
          "Evaluations within the state's timeline of consent / evaluations with consent "
          "(34 CFR 300.131(e), 300.301(c))"),
        h("required_611", f"Required 611 share, FY {fy}", "dollars", "proportionate-share",
          "Sum of the LEAs' required IDEA 611 proportionate shares (34 CFR 300.133(a)(1))"),
        h("shortfall", f"Share not yet spent, FY {fy}", "dollars", "proportionate-share",
          "Sum of the 611 and 619 shortfalls: required minus counted spending",
          lower_is_better=True),
        h("not_met", f"LEAs with the 611 share not met, FY {fy}", "count", "proportionate-share",
          "Carryover year over and the share not spent (a finding)", lower_is_better=True),
        h("missing", "Expected submissions not in force", "count", "submissions",
          "Expected LEA x collection keys of the school year with no accepted file in force",
          lower_is_better=True),
        h("late", "Submissions late or overdue", "count", "submissions",
          "Expected keys whose first accepted file came after the due date, or none yet "
          "and the due date passed", lower_is_better=True),
    ]  # fmt: skip
