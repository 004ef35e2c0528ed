"""Significant disproportionality on the small state, server-side: the mart agrees with the
independent Python implementation on the state's own rosters and enrollment files; the figures
API follows its rules (the state reads every row, a district its own LEA, an auditor nothing:
there is no suppressed table); the page is the state team's only, shows the groups over the
threshold with words for every code and units on every number, drills down to one LEA and
category's counts (those of the mart), and its tables download as CSV and XLSX with a label
column beside each code."""

from __future__ import annotations

import csv
import io
import re

import pytest

from sped.config.profile import load_profile
from sped.figures.disproportionality import Child, Standards, groups, rows
from tests.dashboard_state import AS_OF, small_state
from tests.page_text import column_names, leaks
from tests.web_dashboard_state import add_people_of, app_for, clients_of
from tests.web_dashboard_state import published_rows as table

pytestmark = pytest.mark.slow
PAGE = "/dashboards/disproportionality"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    inst = small_state(tmp_path_factory, "webdisprop")
    people = add_people_of(inst)
    clients = clients_of(app_for(inst, AS_OF), people)
    return inst, people, clients


def test_the_mart_agrees_with_the_regulations_arithmetic_on_the_small_state(world):
    inst, *_ = world
    mart = table(inst, "SELECT * FROM marts.fct_significant_disproportionality")
    rosters: dict = {}
    for r in table(inst, "SELECT * FROM staging.stg_placements"):
        rosters.setdefault((r["lea_id"], r["school_year"]), []).append(
            Child(
                r["race_ethnicity"],
                r["age_on_count_date"],
                r["disability_category"],
                r["educational_environment"],
            )
        )
    enrolled: dict = {}
    for r in table(inst, "SELECT * FROM staging.stg_enrollment"):
        key = (r["lea_id"], r["school_year"], r["race_ethnicity"])
        enrolled[key] = enrolled.get(key, 0) + r["enrolled"]
    standards = Standards(**load_profile().disproportionality.dbt_var())
    want = {
        (r.lea_id, r.school_year, r.category, r.race_ethnicity): r
        for r in rows(groups(rosters, enrolled), standards)
    }
    got = {(r["lea_id"], r["school_year"], r["category"], r["race_ethnicity"]): r for r in mart}
    assert set(got) == set(want)
    assert {k: v for k, v in got.items() if v != want[k].__dict__} == {}
    kinds = {r["ratio_kind"] for r in mart}
    assert {"RR", "ARR", None} <= kinds, kinds  # the small state reaches every case
    assert any(r["exceeds_threshold"] for r in mart)


def test_the_figures_api_follows_its_rules(world):
    inst, people, clients = world
    client = clients["anonymous"]

    def get(token, query=""):
        return client.get(
            f"/api/v1/figures/significant_disproportionality{query}",
            headers={"Authorization": f"Bearer {token}"},
        )

    state = get(people.state_token).json()
    assert state["source"] == "marts.fct_significant_disproportionality"
    mart = table(inst, "SELECT count(*) AS n FROM marts.fct_significant_disproportionality")
    assert len(state["rows"]) == mart[0]["n"]
    own = get(people.district_token).json()["rows"]
    assert own and {r["lea_id"] for r in own} == {people.own_lea}
    assert get(people.district_token, f"?lea_id={people.other_lea}").status_code == 403
    assert get(people.auditor_token).status_code == 403
    assert client.get("/api/v1/figures/significant_disproportionality").status_code == 401
    year = get(people.state_token, "?school_year=2025-26").json()["rows"]
    assert year and {r["school_year"] for r in year} == {"2025-26"}
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/api/v1/figures/significant_disproportionality.csv?school_year=2025-26",
                    headers={"Authorization": f"Bearer {people.state_token}"},
                ).text
            )
        )
    )
    assert len(csv_rows) == len(year)


def test_the_page_is_the_state_teams_and_drills_down_to_the_counts(world):
    inst, _, clients = world
    columns = column_names(inst.published_warehouse)
    page = clients["state"].get(f"{PAGE}?school_year=2025-26")
    assert page.status_code == 200
    for chart in ("dispro-exceeding", "dispro-years", "dispro-categories"):
        assert f'id="chart-{chart}"' in page.text, chart
    assert ">Disproportionality<" in page.text  # the tab
    assert leaks(page.text, columns) == []
    for role in ("district", "auditor"):
        assert clients[role].get(PAGE).status_code == 403
    assert clients["anonymous"].get(PAGE).headers["location"] == "/signin"
    (over,) = table(
        inst,
        "SELECT * FROM marts.fct_significant_disproportionality WHERE school_year = '2025-26' "
        "AND exceeds_threshold ORDER BY risk_ratio DESC LIMIT 1",
    )
    assert f"{over['risk_ratio']:.2f}" in page.text  # the ratio with two decimals
    links = re.findall(r'href="(/dashboards/disproportionality\?lea_id=[^"]+)"', page.text)
    drill = next(u.replace("&amp;", "&") for u in links if over["lea_id"] in u)
    assert f"category={over['category']}" in drill
    counts = clients["state"].get(drill)
    assert counts.status_code == 200 and leaks(counts.text, columns) == []
    for chart in ("dispro-lea-risks", "dispro-lea-years"):
        assert f'id="chart-{chart}"' in counts.text, chart
    mart = table(
        inst,
        "SELECT * FROM marts.fct_significant_disproportionality WHERE school_year = '2025-26' "
        f"AND lea_id = '{over['lea_id']}' AND category = '{over['category']}'",
    )
    cells = re.search(
        r'<table class="grid" id="disproportionality-groups">.*?</table>', counts.text, re.S
    )
    shown = cells.group(0)
    for r in mart:
        assert f'<td class="num">{r["group_total"]:,}</td>' in shown
        if r["risk"] is not None:
            assert f"{r['risk'] * 100:.2f}%" in shown
    download = clients["state"].get(
        f"{PAGE}/download/lea-category-counts.csv?lea_id={over['lea_id']}"
        f"&category={over['category']}"
    )
    assert download.status_code == 200
    got = list(csv.DictReader(io.StringIO(download.text)))
    assert {r["category"] for r in got} == {over["category"]}
    assert {r["category_label"] for r in got} != {over["category"]}  # words beside the code
    assert "race_ethnicity_label" in got[0] and "ratio_kind_label" in got[0]
    assert len(got) == len(
        table(
            inst,
            "SELECT 1 FROM marts.fct_significant_disproportionality "
            f"WHERE lea_id = '{over['lea_id']}' AND category = '{over['category']}'",
        )
    )
    xlsx = clients["state"].get(f"{PAGE}/download/significant-disproportionality.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert clients["state"].get(f"{PAGE}?lea_id={over['lea_id']}&category=NOPE").status_code == 422
    assert clients["state"].get(f"{PAGE}?category=ID_ALL").status_code == 422
