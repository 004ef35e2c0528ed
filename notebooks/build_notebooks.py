"""Writes the analyst notebooks from their cells (so reviews read as Python diffs).

Run `python notebooks/build_notebooks.py` after editing; a test keeps the .ipynb files current.
Both notebooks read the published warehouse named by SPED_WAREHOUSE (or the default
installation) and only read marts: the figures are computed once, in dbt.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).parent

SETUP = """import os
from pathlib import Path

import duckdb
import plotly.express as px
import plotly.io as pio

from sped.config.settings import installation

pio.renderers.default = "plotly_mimetype"  # no CDN: figures render from the notebook itself
inst = installation(os.environ.get("SPED_WAREHOUSE"))
con = duckdb.connect(str(inst.published_warehouse), read_only=True)
print("reading", inst.published_warehouse)"""

OOD = [
    (
        "markdown",
        "# Out-of-district placements: trends and outliers\n\n"
        "Reads `marts.fct_out_of_district` (docs/rules/placements_and_lre.md). "
        "The out-of-district rate is out-of-district students over the LEA's roster; "
        "Indicator 5C is (SS + RF + HH) over school-age "
        "students. This notebook is for the state team: cells are not suppressed.",
    ),
    ("code", SETUP),
    (
        "code",
        '''ood = con.sql("""
    select school_year, sum(ood_students) as ood, sum(students) as students,
           sum(ood_students) / sum(students) as state_ood_rate,
           any_value(state_indicator_5c_rate) as state_indicator_5c_rate
    from marts.fct_out_of_district group by school_year order by school_year
""").df()
ood''',
    ),
    (
        "markdown",
        "## Where LEAs stand\n\nEach LEA's rate against the state's; LEAs with "
        "fewer than 30 students are left out of the outlier screen (rates on tiny rosters swing).",
    ),
    (
        "code",
        '''leas = con.sql("""
    select lea_id, school_year, students, ood_students, ood_rate, state_ood_rate
    from marts.fct_out_of_district where students >= 30
""").df()
latest = leas["school_year"].max()
now = leas[leas["school_year"] == latest].copy()
spread = now["ood_rate"].std()
now["z"] = (now["ood_rate"] - now["state_ood_rate"]) / spread
px.histogram(now, x="ood_rate", nbins=40, title=f"Out-of-district rate by LEA, {latest}")''',
    ),
    (
        "code",
        """outliers = now[now["z"].abs() > 2].sort_values("z", ascending=False)
print(f"{len(outliers)} LEAs more than two standard deviations from the state rate")
outliers.head(15)""",
    ),
    ("markdown", "## Year over year\n\nThe biggest changes in rate between the last two years."),
    (
        "code",
        """years = sorted(leas["school_year"].unique())
if len(years) >= 2:
    a, b = years[-2], years[-1]
    wide = leas.pivot(index="lea_id", columns="school_year", values="ood_rate")[[a, b]].dropna()
    wide["change"] = wide[b] - wide[a]
    display_table = wide.sort_values("change", key=abs, ascending=False).head(10)
else:
    display_table = "only one school year loaded"
display_table""",
    ),
    (
        "code",
        '''mix = con.sql("""
    select school_year, sum(other_district) as other_district, sum(collaborative) as collaborative,
           sum(approved_private_day) as approved_private_day,
           sum(approved_private_residential) as approved_private_residential,
           sum(unapproved_private) as unapproved_private, sum(out_of_state) as out_of_state,
           sum(state_facility) as state_facility
    from marts.fct_out_of_district group by school_year order by school_year
""").df().melt(id_vars="school_year", var_name="placement_type", value_name="students")
px.bar(mix, x="school_year", y="students", color="placement_type",
       title="Out-of-district students by placement type")''',
    ),
]

SHARE = [
    (
        "markdown",
        "# Proportionate share and carryover: review\n\n"
        "Reads `marts.fct_proportionate_share` (34 CFR 300.133): each LEA's required share of its "
        "611 and 619 subgrants for parentally placed private-school children, what it has "
        "obligated in the initial period and the carryover year, and where it stands as of the "
        "build's as-of date.",
    ),
    ("code", SETUP),
    (
        "code",
        '''status = con.sql("""
    select fiscal_year, status_611, count(*) as leas, sum(required_611) as required_611,
           sum(shortfall_611) as shortfall_611
    from marts.fct_proportionate_share group by all order by fiscal_year, status_611
""").df()
status''',
    ),
    (
        "markdown",
        "## Follow-up list\n\nLEAs whose carryover year is over with the share not "
        "met (a finding), then those still inside their carryover year.",
    ),
    (
        "code",
        '''follow_up = con.sql("""
    select lea_id, fiscal_year, required_611, spent_611_initial, spent_611_carryover,
           shortfall_611, status_611, carryover_ends
    from marts.fct_proportionate_share
    where status_611 in ('NOT_MET', 'CARRYOVER_OPEN')
    order by status_611 = 'CARRYOVER_OPEN', shortfall_611 desc
""").df()
print(f"{len(follow_up)} LEA-years to follow up")
follow_up.head(20)''',
    ),
    (
        "code",
        '''missing = con.sql("""
    select missing_reason, count(*) as lea_years
    from marts.fct_proportionate_share where missing_reason is not null group by all
""").df()
missing''',
    ),
    (
        "code",
        '''spent = con.sql("""
    select lea_id, fiscal_year, required_611,
           spent_611_initial + spent_611_carryover as spent_611, status_611
    from marts.fct_proportionate_share where required_611 > 0
""").df()
px.scatter(spent, x="required_611", y="spent_611", color="status_611",
           facet_col="fiscal_year", log_x=True, log_y=True,
           title="IDEA 611 spending against the required share")''',
    ),
]


def notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


NOTEBOOKS = {"out_of_district_trends.ipynb": OOD, "proportionate_share_review.ipynb": SHARE}


def render(name: str) -> str:
    return nbformat.writes(notebook(NOTEBOOKS[name]))


if __name__ == "__main__":
    for name in NOTEBOOKS:
        (HERE / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {HERE / name}")
