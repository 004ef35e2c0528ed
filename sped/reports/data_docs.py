"""GX Data Docs for auditors: the contract suites run over the data in force, as a static site.

Built on demand (`sped datadocs`), not on every run: Data Docs slow down with thousands of
validation results, and the data-quality pages already cover each submission. Reads the
published snapshot, so it never competes with a pipeline run for the warehouse.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import great_expectations as gx

from sped.contracts import COLLECTIONS
from sped.profile import StateProfile
from sped.settings import Installation
from sped.validation.gx_duckdb import enable_persisted_connection, release
from sped.validation.suites import build_suite


def build_data_docs(inst: Installation, profile: StateProfile, as_of: dt.date) -> Path:
    if not inst.published_warehouse.exists():
        raise ValueError(
            f"no published warehouse at {inst.published_warehouse}: run the pipeline first"
        )
    root = inst.reports_dir / "gx"
    shutil.rmtree(root, ignore_errors=True)  # rebuilt whole from the data in force
    enable_persisted_connection()
    context = gx.get_context(mode="file", project_root_dir=str(root))
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_sql(
        "published_warehouse", connection_string=f"duckdb:///{inst.published_warehouse}"
    )
    try:
        for collection in COLLECTIONS.values():
            asset = source.add_query_asset(
                collection.name, query=f"SELECT * FROM raw.{collection.name}"
            )
            batch = asset.add_batch_definition_whole_table("in_force")
            suite = context.suites.add(build_suite(collection, profile, as_of))
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{collection.name}_in_force", data=batch, suite=suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=f"{collection.name}_in_force",
                    validation_definitions=[definition],
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="update_docs")],
                    result_format="SUMMARY",
                )
            )
            checkpoint.run()
    finally:
        release(source)
    context.build_data_docs()
    index = next((root / "gx").rglob("index.html"), None) or next(root.rglob("index.html"))
    return index
