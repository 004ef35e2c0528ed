"""Which figures of the shared placement tables are hidden, and why: one suppression over the
joint grid of shr_out_of_district and shr_lre_environments (sped/privacy/placement_tables.py),
from which both tables are derived. Holds no student count: only what is hidden.

Each school year is suppressed on its own (no line of the grid crosses years), so an
incremental build (raw.build_scope lists the LEAs and periods whose data changed) recomputes
only the changed school years and keeps this table's rows of the others, which are what a full
build would decide for them: their figures have not changed since the last finished build. An
empty scope (a full build) or one without periods (planned before they were recorded)
recomputes every year. (A table, not a dbt incremental model: dbt-duckdb builds an incremental
Python model's new rows in a temporary table that its next statement cannot see.)"""

import pandas as pd

from sped.privacy.placement_tables import hidden_figures
from sped.warehouse.schema import has_table

COLUMNS = ["lea_id", "school_year", "figure", "age_group", "educational_environment", "suppressed"]


def records(relation) -> list[dict]:
    """A DuckDB relation's rows as dicts, by DuckDB's own fetch (through pandas, `to_dict` took
    0.3 s of this model on the state scale; this takes 0.03 s)."""
    columns = relation.columns
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell = int(dbt.config.get("min_cell_size"))
    ood = records(dbt.ref("fct_out_of_district"))
    lre = records(dbt.ref("fct_lre_environments"))
    periods = {r["period"] for r in records(dbt.source("raw", "build_scope"))}
    kept: list[dict] = []
    this = f"{dbt.this.schema}.{dbt.this.identifier}"
    if periods and None not in periods and has_table(session, this):
        previous = records(session.table(this))
        kept = [r for r in previous if r["school_year"] not in periods]
        ood = [r for r in ood if r["school_year"] in periods]
        lre = [r for r in lre if r["school_year"] in periods]
    rows = [{c: r[c] for c in COLUMNS} for r in kept] + hidden_figures(ood, lre, min_cell)
    return pd.DataFrame(rows, columns=COLUMNS).astype("string")
