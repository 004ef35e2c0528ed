"""SPP/APR Indicators 5 and 6 on the small state, server-side: the public LEA reports answer
an anonymous visitor with the suppressed figures only (nothing a visitor could work back from
them, checked by exact linear algebra on each year), nothing else answers without sign-in, the
figures API follows its rules (the state reads the mart, a district its own LEA, an auditor
the suppressed table), and the state's page and its downloads carry the mart's numbers."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict

import pytest
from fastapi.routing import APIRoute

from sped.privacy.spp_tables import shared_rows
from tests.dashboard_state import AS_OF, small_state
from tests.test_privacy_spp import published_leaks
from tests.web_dashboard_state import add_people_of, app_for, clients_of
from tests.web_dashboard_state import published_rows as table

pytestmark = pytest.mark.slow
MIN_CELL = 10


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    inst = small_state(tmp_path_factory, "webspp")
    people = add_people_of(inst)
    app = app_for(inst, AS_OF)
    clients = clients_of(app, people)
    return inst, people, app, clients


def test_the_mart_has_every_lea_year_and_the_state(world):
    inst, *_ = world
    rows = table(inst, "SELECT * FROM marts.fct_spp_indicators")
    keys = {(r["lea_id"], r["school_year"]) for r in rows}
    rosters = table(
        inst,
        "SELECT DISTINCT lea_id, school_year FROM staging.stg_placements",
    )
    assert {(r["lea_id"], r["school_year"]) for r in rosters} <= keys
    assert {y for lea, y in keys if lea == "STATE"} == {r["school_year"] for r in rosters}
    assert any(r["meets_target"] is False for r in rows) and any(r["meets_target"] for r in rows)
    # the state's denominator of 5 is the FS002 children: the roster's school-age group plus
    # the parentally placed children aged 6-21 with a services plan
    (five,) = table(
        inst,
        "SELECT denominator FROM marts.fct_spp_indicators "
        "WHERE lea_id = 'STATE' AND indicator = '5A' AND school_year = '2025-26'",
    )
    (lre,) = table(
        inst,
        "SELECT sum(students) AS n FROM marts.fct_lre_environments WHERE lea_id = 'STATE' "
        "AND age_group = '6-21' AND school_year = '2025-26'",
    )
    assert five["denominator"] > lre["n"]


def test_the_public_list_and_reports_answer_anonymous_visitors(world):
    inst, _, _, clients = world
    client = clients["anonymous"]
    listing = client.get("/public/")
    assert listing.status_code == 200
    leas = re.findall(r'href="/public/leas/([^"]+)"', listing.text)
    assert len(leas) >= 10
    assert client.get("/public", follow_redirects=False).status_code == 307
    shared = table(inst, "SELECT * FROM shared.shr_spp_indicators")
    by_key = {(r["lea_id"], r["school_year"], r["indicator"]): r for r in shared}
    marks = 0
    for lea in leas:
        page = client.get(f"/public/leas/{lea}")
        assert page.status_code == 200
        assert "sign out" not in page.text.lower()
        for year, body in re.findall(
            r'data-school-year="([^"]+)">(.*?)</table>', page.text, flags=re.S
        ):
            for ind, cells in re.findall(r'data-indicator="(\w+)">(.*?)</tr>', body, flags=re.S):
                row = by_key[(lea, year, ind)]
                td = re.findall(r"<td>(.*?)</td>", cells, flags=re.S)
                if row["suppressed"] is not None:
                    marks += 1
                    assert "not shown" in td[2] and "not shown" in td[3]
                elif row["percent"] is not None:
                    assert td[2] == f"{row['percent']:.1f}%"
                    assert td[3] == f"{row['numerator']} of {row['denominator']}"
    assert marks > 0, "the small state has small cells"
    assert client.get("/public/leas/NOPE").status_code == 404


def test_nothing_public_can_be_worked_back(world):
    inst, *_ = world
    shared = table(inst, "SELECT * FROM shared.shr_spp_indicators")
    fct = table(inst, "SELECT * FROM marts.fct_spp_indicators")
    by_year_shared, by_year_fct = defaultdict(list), defaultdict(list)
    for r in shared:
        by_year_shared[r["school_year"]].append(r)
    for r in fct:
        by_year_fct[r["school_year"]].append(r)
    assert len(by_year_fct) == 2
    for year in by_year_fct:
        assert published_leaks(by_year_shared[year], by_year_fct[year], MIN_CELL) == [], year
    small = [r for r in fct if 0 < r["numerator"] < MIN_CELL]
    hidden = {
        (r["lea_id"], r["school_year"], r["indicator"]) for r in shared if r["numerator"] is None
    }
    assert small and {(r["lea_id"], r["school_year"], r["indicator"]) for r in small} <= hidden


PUBLIC = ("/public", "/signin", "/static", "/dashboards/assets/", "/openapi.json")


def test_nothing_else_answers_without_sign_in(world):
    _, people, app, clients = world
    client = clients["anonymous"]
    asked = 0
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    for included in app.routes:  # FastAPI keeps an included router's routes on it
        routes += getattr(getattr(included, "original_router", None), "routes", [])
    assert any(r.path == "/public/leas/{lea_id}" for r in routes)
    for route in routes:
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path = re.sub(r"\{[^}]+\}", people.own_lea, route.path).replace(
            f"{people.own_lea}.{people.own_lea}", f"{people.own_lea}.csv"
        )
        if path.startswith(PUBLIC) or path == "/api":  # the API's description, as openapi.json
            continue
        answer = client.get(path, follow_redirects=False)
        asked += 1
        if path.startswith("/api/"):
            assert answer.status_code == 401, (path, answer.status_code)
        else:
            assert answer.status_code in (303, 401, 404), (path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"] == "/signin", path
            assert "percent" not in answer.text
    assert asked > 30


def test_the_figures_api_follows_its_rules(world):
    inst, people, _, clients = world
    client = clients["anonymous"]

    def get(token, query=""):
        return client.get(
            f"/api/v1/figures/spp_indicators{query}", headers={"Authorization": f"Bearer {token}"}
        )

    state = get(people.state_token).json()
    assert state["source"] == "marts.fct_spp_indicators"
    mart = table(inst, "SELECT * FROM marts.fct_spp_indicators")
    assert len(state["rows"]) == len(mart)
    assert all(r["numerator"] is not None for r in state["rows"])
    own = get(people.district_token).json()["rows"]
    assert own and {r["lea_id"] for r in own} == {people.own_lea}
    assert get(people.district_token, f"?lea_id={people.other_lea}").status_code == 403
    audit = get(people.auditor_token).json()
    assert audit["source"] == "shared.shr_spp_indicators"
    assert any(r["numerator"] is None for r in audit["rows"])
    assert client.get("/api/v1/figures/spp_indicators").status_code == 401
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/api/v1/figures/spp_indicators.csv?school_year=2025-26",
                    headers={"Authorization": f"Bearer {people.state_token}"},
                ).text
            )
        )
    )
    assert {r["school_year"] for r in rows} == {"2025-26"} and rows


def test_the_state_page_and_its_downloads(world):
    inst, _, _, clients = world
    page = clients["state"].get("/dashboards/spp-indicators?school_year=2025-26")
    assert page.status_code == 200
    for chart in ("spp-5a", "spp-5b", "spp-5c", "spp-6a", "spp-6b", "spp-6c", "spp-state-trend"):
        assert f'id="chart-{chart}"' in page.text, chart
    assert "SPP 5 and 6" in page.text  # the tab
    assert clients["district"].get("/dashboards/spp-indicators").status_code == 403
    assert clients["auditor"].get("/dashboards/spp-indicators").status_code == 403
    assert (
        clients["anonymous"].get("/dashboards/spp-indicators", follow_redirects=False).status_code
        == 303
    )
    got = clients["state"].get("/dashboards/spp-indicators/download/spp-5a.csv?school_year=2025-26")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = {r["lea_id"]: r for r in csv.DictReader(io.StringIO(got.text))}
    mart = table(
        inst,
        "SELECT * FROM marts.fct_spp_indicators WHERE indicator = '5A' "
        "AND school_year = '2025-26' AND lea_id <> 'STATE' AND denominator > 0",
    )
    assert set(rows) == {r["lea_id"] for r in mart}
    for r in mart:
        assert int(rows[r["lea_id"]]["numerator"]) == r["numerator"]
        assert float(rows[r["lea_id"]]["percent"]) == pytest.approx(r["percent"])
    xlsx = clients["state"].get("/dashboards/spp-indicators/download/spp-indicators.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def _spp_terms(lea: str, indicator: str) -> dict[tuple, int]:
    """An indicator's numerator as the placement attacker's variables (tests/differencing.py)."""
    cells = {
        "5A": ("6-21", ["RC80"]),
        "5B": ("6-21", ["RC39"]),
        "6A": ("3-5", ["REC10YSVCS", "REC09YSVCS"]),
        "6B": ("3-5", ["SC", "SS", "RF"]),
        "6C": ("3-5", ["H"]),
    }
    if indicator == "5C":
        return {(lea, "5c", None, None): 1}
    a, envs = cells[indicator]
    return {(lea, "cell", a, e): 1 for e in envs}


def _denominator_terms(lea: str, population: str) -> dict[tuple, int]:
    if population == "6":
        return {(lea, "age_group", "3-5", None): 1}
    return {(lea, "age_group", "6-21", None): 1, (lea, "ppps", None, None): 1}


def combined_equations(ood, lre, spp, fct_ood, fct_lre, fct_spp):
    """Per school year: (year, the three shared tables' equations together - the placement
    attacker's, plus each indicator's numerator as the environment cells it sums and Indicator
    5's denominator as the school-age group plus the parentally placed children -, every
    figure's true value, the figures the placement tables hide)."""
    from tests.differencing import _ratio, equations, true_figures

    truth = true_figures(fct_ood, fct_lre)
    for year in sorted({r["school_year"] for r in fct_spp}):
        eq = equations(
            [r for r in ood if r["school_year"] == year],
            [r for r in lre if r["school_year"] == year],
        )
        rows = [r for r in spp if r["school_year"] == year]
        leas = sorted({r["lea_id"] for r in rows} - {"STATE"})
        eq.add(
            {**{(lea, "ppps", None, None): 1 for lea in leas}, ("STATE", "ppps", None, None): -1}
        )
        for r in rows:
            lea, ind = r["lea_id"], r["indicator"]
            num, den = _spp_terms(lea, ind), _denominator_terms(lea, ind[0])
            if r["numerator"] is not None:
                eq.add(num, r["numerator"])
            if r["denominator"] is not None:
                eq.add(den, r["denominator"])
            if r["percent"] is not None:
                ratio = _ratio(r["percent"]) / 100
                eq.add({**num, **{k: -ratio * v for k, v in den.items()}})
        real = dict(truth[year])
        for r in fct_spp:
            if r["school_year"] == year and r["indicator"] == "5A" and r["lea_id"] != "STATE":
                ag = real.get((r["lea_id"], "age_group", "6-21", None), 0)
                real[(r["lea_id"], "ppps", None, None)] = r["denominator"] - ag
        hidden = {
            (r["lea_id"], "cell", r["age_group"], r["educational_environment"])
            for r in lre
            if r["school_year"] == year and r["students"] is None
        } | {
            (r["lea_id"], "age_group", r["age_group"], None)
            for r in lre
            if r["school_year"] == year and r["age_group_students"] is None
        }
        yield year, eq, real, hidden


def combined_leaks(ood, lre, spp, fct_ood, fct_lre, fct_spp) -> tuple[list, int]:
    """Every small or hidden figure an auditor can work back from the three shared tables
    together by exact linear algebra, and how many figures the attacker pinned in all."""
    from fractions import Fraction

    checked, found = 0, []
    for year, eq, real, hidden in combined_equations(ood, lre, spp, fct_ood, fct_lre, fct_spp):
        for v, value in eq.determined().items():
            if v[0] == "STATE":
                continue
            assert value == Fraction(real.get(v, 0)), (year, v, value, real.get(v))
            checked += 1
            n = real.get(v, 0)
            if n > 0 and (n < MIN_CELL or v in hidden):
                found.append((year, v, n))
    return found, checked


def combined_integer_leaks(ood, lre, spp, fct_ood, fct_lre, fct_spp) -> list[tuple]:
    """Every hidden figure of the shared placement tables that the three shared tables together
    pin to one value once the reader adds that counts are whole, not negative and at least 1
    where hidden (tests/differencing.py `pinned_figures`, scipy's milp)."""
    from tests.differencing import hidden_in, pinned_figures

    hidden = hidden_in(ood, lre)
    return [
        (year, v, n)
        for year, eq, real, _ in combined_equations(ood, lre, spp, fct_ood, fct_lre, fct_spp)
        for v, n in pinned_figures(eq, year, hidden, real)
    ]


def test_auditors_cannot_work_back_a_figure_from_the_shared_tables_together(world):
    """An auditor reads shr_out_of_district, shr_lre_environments and shr_spp_indicators: all
    of them as one system of equations pin no small figure and nothing either table hides.
    Suppressed on its own grid alone (without the placement tables' hidden figures), the
    indicators table would give some away: the attacker is not blind."""
    inst, *_ = world
    ood = table(inst, "SELECT * FROM shared.shr_out_of_district")
    lre = table(inst, "SELECT * FROM shared.shr_lre_environments")
    spp = table(inst, "SELECT * FROM shared.shr_spp_indicators")
    fct = [
        table(inst, f"SELECT * FROM marts.{t}")
        for t in ("fct_out_of_district", "fct_lre_environments", "fct_spp_indicators")
    ]
    found, checked = combined_leaks(ood, lre, spp, *fct)
    assert found == [] and checked > 100
    # nor with whole, non-negative counts, each hidden one at least 1 (issue 25, failure 4)
    assert combined_integer_leaks(ood, lre, spp, *fct) == []
    alone = shared_rows(fct[2], MIN_CELL)
    assert combined_leaks(ood, lre, alone, *fct)[0]
