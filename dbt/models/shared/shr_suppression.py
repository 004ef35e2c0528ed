"""Which figures of the shared placement tables are hidden, and why: one suppression over the
joint grid of shr_out_of_district and shr_lre_environments (sped/privacy/placement_tables.py),
from which both tables are derived. Holds no student count: only what is hidden."""

import pandas as pd

from sped.privacy.placement_tables import hidden_figures

COLUMNS = ["lea_id", "school_year", "figure", "age_group", "educational_environment", "suppressed"]


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell = int(dbt.config.get("min_cell_size"))
    ood = dbt.ref("fct_out_of_district").df().to_dict("records")
    lre = dbt.ref("fct_lre_environments").df().to_dict("records")
    rows = hidden_figures(ood, lre, min_cell)
    return pd.DataFrame(rows, columns=COLUMNS).astype("string")
