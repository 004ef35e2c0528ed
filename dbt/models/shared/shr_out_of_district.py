"""Out-of-district figures for audiences beyond the state team
(docs/rules/identifiers_and_privacy.md).

Each LEA's roster splits into out-of-district and in-district students, and its school-age
students into those in separate schools, residential facilities or homebound (Indicator 5C)
and the rest. A shown total and a shown part give the other part, and the state rates give the
state totals, so the parts are protected as cells of a grid (sped/privacy/suppression.py):
small parts are hidden, and complementary parts within the LEA and across the LEAs of a year.
A rate is hidden with its part; a roster below min_cell_size hides everything of the LEA's
year. State rates are shown.
"""

import pandas as pd

from sped.privacy.suppression import Cell, hidden_cells, is_small


def _split(fct, total, part, name, min_cell):
    """Cells of one split (`part` and `total - part`) per LEA and year, and the rows whose
    total is itself a small cell."""
    cells, small_rows = [], set()
    for r in fct.itertuples(index=False):
        row = (r.lea_id, r.school_year, name)
        whole, piece = int(getattr(r, total)), int(getattr(r, part))
        if is_small(whole, min_cell):
            small_rows.add(row)
        cells.append(Cell((*row, "part"), row, (r.school_year, name, "part"), piece))
        cells.append(Cell((*row, "rest"), row, (r.school_year, name, "rest"), whole - piece))
    return cells, small_rows


def model(dbt, session):
    dbt.config(materialized="table")
    min_cell = int(dbt.config.get("min_cell_size"))
    fct = dbt.ref("fct_out_of_district").df()
    ood, ood_small = _split(fct, "students", "ood_students", "ood", min_cell)
    c5, c5_small = _split(fct, "school_age_students", "indicator_5c_students", "5c", min_cell)
    small_rows = ood_small | c5_small
    why = hidden_cells(ood + c5, min_cell, small_rows)

    def hidden(name):
        return pd.Series(
            [
                (lea, year, name) in small_rows
                or (lea, year, name, "part") in why
                or (lea, year, name, "rest") in why
                for lea, year in zip(fct["lea_id"], fct["school_year"], strict=True)
            ],
            dtype=bool,
        ).to_numpy()

    ood_hidden, c5_hidden = hidden("ood"), hidden("5c")
    students_small = fct["students"].between(1, min_cell - 1).to_numpy()
    return pd.DataFrame(
        {
            "lea_id": fct["lea_id"],
            "school_year": fct["school_year"],
            "students": fct["students"].astype("Int64").where(~students_small),
            "ood_students": fct["ood_students"].astype("Int64").where(~ood_hidden),
            "ood_rate": fct["ood_rate"].astype("Float64").where(~ood_hidden),
            "indicator_5c_rate": fct["indicator_5c_rate"].astype("Float64").where(~c5_hidden),
            "state_ood_rate": fct["state_ood_rate"],
            "state_indicator_5c_rate": fct["state_indicator_5c_rate"],
            "has_suppressed_cells": students_small | ood_hidden | c5_hidden,
        }
    )
