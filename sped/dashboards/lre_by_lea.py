"""Each LEA's educational environments (LRE) side by side: one row per LEA and school year, the
share of the age group's students in each environment (marts.fct_lre_environments' own
`share`, never recomputed), with the LEA's students of the age group, its type and county.
Narrowed by school year, LEA type and county, and found by name or id (`lea_search`).
"""

from __future__ import annotations

import duckdb
import polars as pl

from sped.contracts.codes import (
    EARLY_CHILDHOOD_ENVIRONMENTS,
    ENVIRONMENT_LABELS,
    SCHOOL_AGE_ENVIRONMENTS,
)
from sped.dashboards import figures, lea_search
from sped.dashboards.scope import Filters, Scope

AGE_GROUPS = {"6-21": SCHOOL_AGE_ENVIRONMENTS, "3-5": EARLY_CHILDHOOD_ENVIRONMENTS}


def share_column(code: str) -> str:
    """The table's column of an environment's share (its kind, a rate, read from the name)."""
    return f"{code.lower()}_share"


def headings(age_group: str) -> dict[str, str]:
    """Each environment column of the age group and the environment's words."""
    return {share_column(c): ENVIRONMENT_LABELS[c] for c in AGE_GROUPS[age_group]}


def by_lea(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    filters: Filters,
    age_group: str = "6-21",
    search: str = "",
) -> pl.DataFrame:
    """lea_id, lea_name, lea_type, county, school_year, students (of the age group) and one
    `<environment>_share` column per environment of the age group, by LEA name."""
    if age_group not in AGE_GROUPS:
        raise ValueError(f"age group must be one of {', '.join(AGE_GROUPS)}")
    codes = AGE_GROUPS[age_group]
    leas = figures.leas(con, scope)
    if filters.lea_type:
        leas = leas.filter(pl.col("lea_type") == filters.lea_type)
    if filters.county:
        leas = leas.filter(pl.col("county") == filters.county)
    if search.strip():
        found = {i for i, _ in lea_search.find(leas, search)}
        leas = leas.filter(pl.col("lea_id").is_in(found))
    narrowed = Filters(school_year=filters.school_year, lea_type=filters.lea_type)
    rows = figures.lre_environments(con, scope, narrowed).filter(
        (pl.col("age_group") == age_group) & pl.col("lea_id").is_in(leas["lea_id"].implode())
    )
    keys = ["lea_id", "school_year"]
    students = rows.group_by(keys).agg(pl.col("students").sum().cast(pl.Int64))
    shares = rows.select(
        *keys,
        pl.col("educational_environment").str.to_lowercase() + "_share",
        pl.col("share").cast(pl.Float64),
    ).pivot(on="educational_environment", index=keys, values="share")
    for code in codes:
        if share_column(code) not in shares.columns:
            shares = shares.with_columns(pl.lit(None, dtype=pl.Float64).alias(share_column(code)))
    table = (
        leas.select("lea_id", "lea_name", "lea_type", "county")
        .join(students, on="lea_id", how="inner")
        .join(shares, on=keys, how="left")
        .with_columns(pl.col(share_column(c)).fill_null(0.0) for c in codes)
    )
    return table.select(
        "lea_id",
        "lea_name",
        "lea_type",
        "county",
        "school_year",
        "students",
        *(share_column(c) for c in codes),
    ).sort("lea_name", "school_year")
