"""Lineage of a figure: from one LEA's mart row to the submissions in force it was computed from,
with their checksums and when they arrived.

Read from the published snapshot: every staging row carries the submission it came from
(`submission_id`), so the submissions behind a row are the distinct submission ids of the staged
rows its mart reads for that LEA and period (not a guess from the registry's keys), joined with
`raw.submissions` (the registry's mirror: file name, SHA-256, size, received, sender, status).
State-level files (allocations, directories) appear with the rows of this LEA they hold.

For auditors: it lists files and counts of rows, never the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from sped.dashboards.figures import SOURCES


@dataclass(frozen=True)
class Input:
    """One staging model a mart reads, and which of its rows belong to the LEA and period."""

    collection: str
    model: str
    #: school_year / fiscal_year; fiscal_year_paid (spending charged to the fiscal year, or
    #: paying its share from the next grant); facilities_used (the directory rows of the
    #: facilities on the LEA's roster that year); None: the LEA's rows of any period
    period_column: str | None
    period_kind: str  # "school_year" or "fiscal_year": which period the figure row names
    why: str


def _school_year(collection: str, model: str, why: str) -> Input:
    return Input(collection, model, "school_year", "school_year", why)


INPUTS: dict[str, tuple[Input, ...]] = {
    "out_of_district": (
        _school_year("placements", "stg_placements", "the roster: students and placements"),
        Input(
            "facilities",
            "stg_facilities",
            "facilities_used",
            "school_year",
            "the directory entries of the facilities the LEA placed students in",
        ),
    ),
    "lre_environments": (
        _school_year("placements", "stg_placements", "the roster: educational environments"),
    ),
    "monitoring_coverage": (
        _school_year("placements", "stg_placements", "the roster: who is out of district"),
        _school_year("monitoring_log", "stg_monitoring_log", "monitoring activities"),
    ),
    "child_find": (
        _school_year("child_find", "stg_child_find", "the child-find log"),
        Input("private_schools", "stg_private_schools", None, "", "private schools located"),
    ),
    "proportionate_share": (
        Input("allocations", "stg_allocations", "fiscal_year", "fiscal_year", "611/619 subgrants"),
        Input("ppps_count", "stg_ppps_count", "fiscal_year", "fiscal_year", "the PPPS count"),
        Input(
            "placements",
            "stg_placements",
            "school_year",
            "count_school_year",
            "the public child count (the roster of the count's school year)",
        ),
        Input(
            "expenditures",
            "stg_expenditures",
            "fiscal_year_paid",
            "fiscal_year",
            "spending: charged to the year's grant, or the next year's grant paying its carryover",
        ),
        Input("private_schools", "stg_private_schools", None, "", "private schools located"),
    ),
}


def count_school_year(fiscal_year: int) -> str:
    """The school year whose fall count sets a fiscal year's obligation (FY 2026: 2025-26)."""
    first = fiscal_year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def lineage(con: duckdb.DuckDBPyConnection, figure: str, lea_id: str, period: str) -> pl.DataFrame:
    """The submissions in force behind `figure`'s row for `lea_id` and `period` (a school year,
    or for proportionate_share a fiscal year): one row per submission with the rows it gave."""
    if figure == "submission_status":
        return con.sql(
            "SELECT collection, 'the file for this key' AS used_for, submission_id, "
            "original_name, sha256, size_bytes, received_at, submitter, status, in_force, "
            "row_count AS rows_used FROM raw.submissions WHERE lea_id = ? AND period = ? "
            "ORDER BY received_at, submission_id",
            params=[lea_id, period],
        ).pl()
    if figure not in INPUTS:
        known = ", ".join(n for n in SOURCES if n in INPUTS or n == "submission_status")
        raise KeyError(f"no lineage for {figure!r}; figures: {known}")
    parts, params = [], []
    for i in INPUTS[figure]:
        params += [i.collection, i.why]
        if i.period_column == "facilities_used":
            cond = (
                "facility_id IN (SELECT facility_id FROM staging.stg_placements "
                "WHERE lea_id = ? AND school_year = ?)"
            )
            params += [lea_id, period]
            parts.append(_used(i.model, cond))
            continue
        cond = "lea_id = ?"
        params.append(lea_id)
        if i.period_column == "fiscal_year":
            cond += " AND fiscal_year = ?"
            params.append(int(period))
        elif i.period_column == "fiscal_year_paid" and _has_column(
            con, i.model, "applies_to_fiscal_year"
        ):
            cond += " AND ? IN (fiscal_year, applies_to_fiscal_year)"
            params.append(int(period))
        elif i.period_column == "fiscal_year_paid":  # a snapshot built before the column
            cond += " AND fiscal_year = ?"
            params.append(int(period))
        elif i.period_column == "school_year":
            cond += " AND school_year = ?"
            params.append(
                _school_year_of(period) if i.period_kind == "count_school_year" else period
            )
        parts.append(_used(i.model, cond))
    used = " UNION ALL ".join(parts)
    return con.sql(
        f"""
        SELECT u.collection, u.used_for, u.submission_id, s.original_name, s.sha256,
               s.size_bytes, s.received_at, s.submitter, s.status, s.in_force, u.rows_used
        FROM ({used}) AS u
        LEFT JOIN raw.submissions AS s USING (submission_id)
        ORDER BY u.collection, s.received_at, u.submission_id
        """,
        params=params,
    ).pl()


def _has_column(con: duckdb.DuckDBPyConnection, model: str, column: str) -> bool:
    """Whether the snapshot's staging model has the column (snapshots built before it don't)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'staging' "
            "AND table_name = ? AND column_name = ?",
            [model, column],
        ).fetchall()[0][0]
    )


def _used(model: str, cond: str) -> str:
    return (
        "SELECT ?::VARCHAR AS collection, ?::VARCHAR AS used_for, submission_id, "
        f"count(*) AS rows_used FROM staging.{model} WHERE {cond} GROUP BY submission_id"
    )


def _school_year_of(fiscal_year: str) -> str:
    return count_school_year(int(fiscal_year))
