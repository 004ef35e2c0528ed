"""The dbt sources, rendered from the contracts: `dbt/models/staging/_sources.yml`.

`python -m sped.contracts.dbt` rewrites the file; a test fails when the committed file differs.
"""

from __future__ import annotations

import copy
import sys

import yaml

from sped.config.settings import DBT_PROJECT_DIR
from sped.contracts import COLLECTIONS
from sped.warehouse.schema import (
    BUILD_SCOPE_COLUMNS,
    BUILD_SCOPE_DESCRIPTIONS,
    LINEAGE_COLUMNS,
    SUBMISSIONS_COLUMNS,
)

SOURCES = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
STAGING = DBT_PROJECT_DIR / "models" / "staging" / "_staging.yml"

#: Columns a staging model renames (contract name -> staging name).
RENAMES: dict[str, dict[str, str]] = {
    "leas": {"name": "lea_name"},
    "facilities": {"name": "facility_name"},
    "private_schools": {"name": "school_name"},
}
#: Columns a staging model derives, after the contract's own, with what they mean.
DERIVED: dict[str, dict[str, str]] = {
    "placements": {
        "fall_year": "First calendar year of the school year (2025 for 2025-26).",
        "age_on_count_date": "Whole years of age on the count date; the birthday counts.",
        "age_group": "Federal age group: 6-21 (school age, FS002: 6 and over, or 5 in "
        "kindergarten) or 3-5 (early childhood, FS089).",
        "is_out_of_district": "placement_type is anything but IN_DISTRICT.",
    },
    "monitoring_log": {
        "is_countable_monitor": "Conducted by district staff or a contracted monitor; parents "
        "and the placement's own staff never count (603 CMR 28.06(3)(b)).",
    },
    "child_find": {
        "days_consent_to_evaluation": "Days from parental consent to the evaluation "
        "(34 CFR 300.301(c) timeline).",
    },
    "ppps_count": {
        "fall_year": "First calendar year of the school year of the count.",
        "fiscal_year": "Federal fiscal year whose obligation this count sets: fall year + 1 "
        "(the fall 2025 count sets the FY 2026 obligation).",
        "age_on_count_date": "Whole years of age on the count date; the birthday counts.",
    },
}
#: Contract columns a staging model leaves out (kept in raw).
DROPPED: dict[str, set[str]] = {}
LINEAGE_KEPT = {
    "submission_id": "The submission the row came from (registry id).",
    "source_row": "Row number in the original file as a spreadsheet shows it (header = 1).",
}
REFERENCE = {"leas", "facilities", "private_schools"}

#: What each column of raw.submissions (the registry mirror, docs/warehouse_layout.md) means.
SUBMISSION_DESCRIPTIONS = {
    "submission_id": "Registry id of the submission (one received file).",
    "collection": "Collection the file was submitted for (placements, ppps_count, ...).",
    "lea_id": "LEA the submission was declared for; NULL for state-level files.",
    "period": "Declared period: school year (2025-26), fiscal year (2026) or `current`.",
    "original_name": "File name as uploaded.",
    "sha256": "SHA-256 of the stored bytes (the file's address in the store).",
    "size_bytes": "Size of the file in bytes.",
    "received_at": "When the file was received (UTC).",
    "submitter": "Who submitted the file.",
    "status": "received, accepted, rejected or superseded.",
    "error_count": "Blocking rule failures found when validating.",
    "warning_count": "Warnings found when validating.",
    "row_count": "Data rows in the file.",
    "validated_at": "When validation finished (UTC).",
    "in_force": "The accepted submission whose rows are in raw for its key (the one received "
    "last, by received time, then submission id).",
}

LINEAGE_DESCRIPTIONS = {
    "_submission_id": "The submission the row came from (registry id).",
    "_source_row": "Row number in the original file as a spreadsheet shows it (header = 1).",
    "_lea_id": "The LEA the submission was declared for (NULL for state-level files).",
    "_period": "The declared period: school year, fiscal year, or `current`.",
}


def _column(name: str, data_type: str, description: str) -> dict:
    """One source column entry."""
    return {"name": name, "data_type": data_type.lower(), "description": description}


#: Source freshness of a collection with a due date (dbt/macros/due_date_met.sql): the latest
#: receipt against the profile's due dates. Stale once a year has passed since the due date the
#: latest file met (the next one went by with nothing received), an error a month later; the age
#: is measured at the run's as-of date, not the clock (dbt/macros/freshness_snapshot_at.sql).
FRESHNESS = {
    "freshness": {
        "warn_after": {"count": 365, "period": "day"},
        "error_after": {"count": 395, "period": "day"},
    }
}


def due_dated(collection) -> bool:
    """Whether the state profile gives `collection` a due date (a district's school-year file)."""
    return collection.period_kind == "school_year" and collection.submitted_by == "district"


def render_sources_yaml() -> str:
    """The text of `_sources.yml`: source `raw` (schema `raw`), one table per collection with
    every contract column (description, DuckDB type) and the lineage columns, plus the
    registry mirror `raw.submissions`. No `meta` asset keys: dagster-dbt's default translator
    already maps source `raw.<table>` to the asset `raw/<table>` (tests/test_dbt_project.py)."""
    tables = []
    for c in COLLECTIONS.values():
        cols = [_column(col.name, col.duckdb_type, col.description) for col in c.columns]
        cols += [_column(n, t, LINEAGE_DESCRIPTIONS[n]) for n, t in LINEAGE_COLUMNS]
        table = {
            "name": c.name,
            "description": f"{c.title}. {c.description} Rows of the submissions in force.",
            "columns": cols,
        }
        if due_dated(c):
            table["config"] = copy.deepcopy(FRESHNESS) | {
                "loaded_at_query": f"{{{{ due_date_met('{c.name}') }}}}"
            }
        tables.append(table)
    tables.append(
        {
            "name": "submissions",
            "description": "Every submission and its status, mirrored from the registry.",
            "columns": [_column(n, t, SUBMISSION_DESCRIPTIONS[n]) for n, t in SUBMISSIONS_COLUMNS],
        }
    )
    tables.append(
        {
            "name": "build_scope",
            "description": "The keys (LEA, period) an incremental build recomputes; empty on "
            "a full build (sped/warehouse/build_scope.py).",
            "columns": [_column(n, t, BUILD_SCOPE_DESCRIPTIONS[n]) for n, t in BUILD_SCOPE_COLUMNS],
        }
    )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Typed rows loaded by the pipeline; generated from sped/contracts "
                "by `python -m sped.contracts.dbt` — do not edit by hand.",
                "tables": tables,
            }
        ],
    }
    header = "# Generated from sped/contracts by `python -m sped.contracts.dbt`. Do not edit.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, width=100, allow_unicode=True)


def staging_columns(name: str) -> list[dict]:
    """The columns of stg_<name>, in order, each with its description.

    No data tests: every contract rule (required columns, code sets, ...) is enforced at the
    gate, by the collection's GX suite on every submitted batch before anything reaches raw
    (tests/test_contract_gate.py proves each rule has its expectation), so a staging test could
    only repeat it on every build."""
    c = COLLECTIONS[name]
    cols = [{"name": "submission_id", "description": LINEAGE_KEPT["submission_id"]}]
    if name not in REFERENCE:
        cols.append({"name": "source_row", "description": LINEAGE_KEPT["source_row"]})
    derived = DERIVED.get(name, {})
    for col in c.columns:
        if col.name in DROPPED.get(name, set()):
            continue
        cols.append(
            {
                "name": RENAMES.get(name, {}).get(col.name, col.name),
                "description": col.description,
            }
        )
        if col.name == "school_year" and "fall_year" in derived:
            cols.append({"name": "fall_year", "description": derived["fall_year"]})
    for extra, text in derived.items():
        if extra != "fall_year":
            cols.append({"name": extra, "description": text})
    return cols


def render_staging_yaml() -> str:
    """The text of `_staging.yml`: every stg_ model's columns and descriptions."""
    models = [
        {
            "name": f"stg_{c.name}",
            "description": f"{c.title}, typed and standardised (no joins, no filters).",
            "columns": staging_columns(c.name),
        }
        for c in COLLECTIONS.values()
    ]
    models.append(
        {
            "name": "stg_submissions",
            "description": "Every submission with its status, from the registry mirror.",
            "columns": [
                {"name": n, "description": SUBMISSION_DESCRIPTIONS[n]}
                for n, _ in SUBMISSIONS_COLUMNS
            ],
        }
    )
    header = "# Generated from sped/contracts by `python -m sped.contracts.dbt`. Do not edit.\n"
    return header + yaml.safe_dump(
        {"version": 2, "models": models}, sort_keys=False, width=100, allow_unicode=True
    )


def write_all() -> None:
    """Rewrite both generated files from the contracts."""
    SOURCES.write_text(render_sources_yaml(), encoding="utf-8")
    STAGING.write_text(render_staging_yaml(), encoding="utf-8")


if __name__ == "__main__":
    write_all()
    print(f"wrote {SOURCES} and {STAGING}", file=sys.stderr)
