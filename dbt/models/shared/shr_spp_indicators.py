"""SPP/APR Indicators 5 and 6 as shown beyond the state team (the public LEA reports, auditors,
the figures API for non-state accounts): marts.fct_spp_indicators with the small cells and
their complements hidden by sped/privacy/spp_tables.py, so that nothing hidden can be worked
back from an LEA's other figures, the state's figure or other LEAs' rows,
nor from them together with the shared placement tables (whose hidden figures stay hidden here:
shr_suppression). docs/rules/spp_indicators.md.

Each school year is suppressed on its own, so an incremental build (raw.build_scope lists the
LEAs and periods whose data changed; the indicators read the rosters and the parentally placed
children, whose periods are school years) recomputes only the changed school years and keeps
this table's rows of the others, as shr_suppression does: their indicators, their placement
tables' hidden figures and so what a full build would decide for them have not changed. An
empty scope (a full build) or one without periods recomputes every year."""

import pandas as pd

from sped.privacy.spp_tables import SHARED_COLUMNS, shared_rows
from sped.warehouse.schema import has_table


def records(relation) -> list[dict]:
    columns = relation.columns
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell = int(dbt.config.get("min_cell_size"))
    rows = records(dbt.ref("fct_spp_indicators"))
    lre = records(dbt.ref("fct_lre_environments"))
    placement_hidden = records(dbt.ref("shr_suppression"))
    periods = {r["period"] for r in records(dbt.source("raw", "build_scope"))}
    kept: list[dict] = []
    this = f"{dbt.this.schema}.{dbt.this.identifier}"
    if periods and None not in periods and has_table(session, this):
        kept = [r for r in records(session.table(this)) if r["school_year"] not in periods]
        rows = [r for r in rows if r["school_year"] in periods]
        lre = [r for r in lre if r["school_year"] in periods]
        placement_hidden = [r for r in placement_hidden if r["school_year"] in periods]
    shown = [{c: r[c] for c in SHARED_COLUMNS} for r in kept]
    shown += shared_rows(rows, min_cell, lre, placement_hidden)
    frame = pd.DataFrame(shown, columns=list(SHARED_COLUMNS))
    return frame.astype(
        {
            "lea_id": "string",
            "school_year": "string",
            "indicator": "string",
            "numerator": "Int64",
            "denominator": "Int64",
            "percent": "Float64",
            "target": "Float64",
            "target_direction": "string",
            "meets_target": "boolean",
            "suppressed": "string",
        }
    )
