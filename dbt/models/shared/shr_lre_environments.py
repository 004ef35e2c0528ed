"""Educational environments for audiences beyond the state team
(docs/rules/identifiers_and_privacy.md).

Cells of 1 to min_cell_size - 1 students are hidden, and complementary cells with them
(sped/privacy/suppression.py): in each LEA's year and age group, whose total is shown, and in
each environment across the LEAs, whose total is the STATE row. `suppressed` says why a cell is
hidden. Shares are hidden with their cell or a small age group.
"""

import pandas as pd

from sped.privacy.suppression import Cell, hidden_cells, is_small


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell = int(dbt.config.get("min_cell_size"))
    fct = dbt.ref("fct_lre_environments").df()
    rows = list(fct.itertuples(index=False))
    cells = [
        Cell(
            key=(r.lea_id, r.school_year, r.age_group, r.educational_environment),
            row=(r.lea_id, r.school_year, r.age_group),
            column=None
            if r.lea_id == "STATE"
            else (r.school_year, r.age_group, r.educational_environment),
            value=int(r.students),
        )
        for r in rows
    ]
    small_groups = {
        (r.lea_id, r.school_year, r.age_group)
        for r in rows
        if is_small(int(r.age_group_students), min_cell)
    }
    why = hidden_cells(cells, min_cell, small_groups)
    suppressed = pd.Series([why.get(c.key) for c in cells], dtype="string")
    shown = suppressed.isna().to_numpy()
    group_shown = ~fct["age_group_students"].between(1, min_cell - 1).to_numpy()
    return pd.DataFrame(
        {
            "lea_id": fct["lea_id"],
            "school_year": fct["school_year"],
            "age_group": fct["age_group"],
            "educational_environment": fct["educational_environment"],
            "students": fct["students"].astype("Int64").where(shown),
            "share": fct["share"].astype("Float64").where(shown & group_shown),
            "age_group_students": fct["age_group_students"].astype("Int64").where(group_shown),
            "suppressed": suppressed,
        }
    )
