"""SPP/APR Indicators 5 and 6 as shown beyond the state team (the public LEA reports, auditors,
the figures API for non-state accounts): marts.fct_spp_indicators with the small cells and
their complements hidden by sped/privacy/spp_tables.py, so that nothing hidden can be worked
back from an LEA's other figures, the state's figure or other LEAs' rows,
nor from them together with the shared placement tables (whose hidden figures stay hidden here:
shr_suppression). docs/rules/spp_indicators.md. Rebuilt whole on every build: a few rows per
LEA and year."""

import pandas as pd

from sped.privacy.spp_tables import SHARED_COLUMNS, shared_rows


def records(relation) -> list[dict]:
    columns = relation.columns
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell = int(dbt.config.get("min_cell_size"))
    rows = records(dbt.ref("fct_spp_indicators"))
    lre = records(dbt.ref("fct_lre_environments"))
    placement_hidden = records(dbt.ref("shr_suppression"))
    frame = pd.DataFrame(
        shared_rows(rows, min_cell, lre, placement_hidden), columns=list(SHARED_COLUMNS)
    )
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
