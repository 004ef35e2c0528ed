"""A district's own figures beyond the share and child find, for its figures page: its
out-of-district placements, educational environments (LRE) and monitoring coverage, every
year, read through the same scoped figures as the dashboards and the API
(`sped.dashboards.figures`): a district account reads its own LEA's mart rows, the state team
any LEA's, an auditor only the suppressed shared tables (no monitoring figure)."""

from __future__ import annotations

import polars as pl

from sped.dashboards import figures
from sped.dashboards.scope import Filters, Scope
from sped.landing.accounts import Account
from sped.web.portal import Portal

#: (title, figure, columns shown) for the page, in the page's order
TABLES = (
    (
        "Out-of-district placements",
        "out_of_district",
        ("school_year", "students", "ood_students", "ood_rate", "state_ood_rate",
         "indicator_5c_rate", "state_indicator_5c_rate"),
    ),
    (
        "Educational environments (LRE)",
        "lre_environments",
        ("school_year", "age_group", "educational_environment", "students", "share"),
    ),
    (
        "Monitoring of out-of-district students (603 CMR 28.06(3)(b))",
        "monitoring_coverage",
        ("school_year", "ood_students", "with_plan", "with_countable_activity",
         "fully_covered", "coverage_rate"),
    ),
)  # fmt: skip


def _scope(account: Account) -> Scope:
    if account.role == "district":
        return Scope.district(account.lea_ids)
    return Scope.auditor() if account.role == "auditor" else Scope.state()


def own_figures(p: Portal, account: Account, lea_id: str) -> list[tuple[str, pl.DataFrame]]:
    """(title, rows) of each figure the account may read for the LEA (empty before the
    first build; a figure auditors have no shared table for is left out for them)."""
    scope = _scope(account)
    try:
        con = figures.snapshot(p.inst)
    except FileNotFoundError:
        return []
    out = []
    try:
        for title, name, columns in TABLES:
            try:
                rows = figures.figure(con, name, scope, Filters(lea_id=lea_id))
            except PermissionError:  # no shared table of this figure for auditors
                continue
            out.append((title, rows.select([c for c in columns if c in rows.columns])))
    finally:
        con.close()
    return out
