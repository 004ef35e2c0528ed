"""Every page answers every filter value: a walk of the small generated state that asks each
page, as each role, with every value each of its filters offers (every school year, fiscal year,
LEA type, county, each LEA type with each county, every LEA, every lineage figure and period,
every audit-trail event and collection) and fails on any server error (5xx), and on a page
whose text shows a dbt expression, a repository path, a bare code or a mart's column name.

Many LEA type x county selections hold no LEA at all; a page must then say so in words
(`/dashboards/out-of-district?lea_type=CHARTER&county=...` once answered 500)."""

from __future__ import annotations

import itertools
import re

import duckdb
import pytest

from sped.contracts.labels import DISPROPORTIONALITY_CATEGORY_LABELS
from sped.dashboards.scope import LEA_TYPES
from sped.web.routes.dashboards import TABS
from tests.dashboard_state import AS_OF, small_state
from tests.page_text import column_names, leaks
from tests.web_dashboard_state import add_people, app_for, signed_in

pytestmark = pytest.mark.slow

#: Every dashboard page with a tab (a new page is walked once it has one), and the pages
#: reached from one.
PAGES = (*(path for _, _, path in TABS), "/dashboards/lre/by-lea")
ROLES = ("state", "district", "auditor")


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    inst = small_state(tmp_path_factory, "everyfilter")
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        leas = con.sql("SELECT lea_id, lea_type, county FROM marts.dim_lea ORDER BY 1").fetchall()
        years = [
            r[0]
            for r in con.sql(
                "SELECT DISTINCT school_year FROM marts.fct_out_of_district"
            ).fetchall()
        ]
        fiscal = [
            r[0]
            for r in con.sql(
                "SELECT DISTINCT fiscal_year FROM marts.fct_proportionate_share"
            ).fetchall()
        ]
    finally:
        con.close()
    COLUMNS.update(column_names(inst.published_warehouse))
    people = add_people(inst, [lea for lea, _, _ in leas])
    app = app_for(inst, AS_OF)
    clients = {
        role: signed_in(app, name)
        for role, name in (
            ("state", people.state),
            ("district", people.district),
            ("auditor", people.auditor),
        )
    }
    return leas, sorted(years), sorted(fiscal), people, clients


def filter_queries(leas, years, fiscal) -> list[str]:
    counties = sorted({county for _, _, county in leas if county})
    queries = [""]
    queries += [f"school_year={y}" for y in years]
    queries += [f"fiscal_year={fy}" for fy in fiscal]
    queries += [f"lea_type={t}" for t in LEA_TYPES]
    queries += [f"county={c}" for c in counties]
    queries += [f"lea_type={t}&county={c}" for t, c in itertools.product(LEA_TYPES, counties)]
    return queries


def empty_selections(leas) -> list[str]:
    """The LEA type x county pairs that hold no LEA."""
    held = {(t, c) for _, t, c in leas}
    counties = sorted({c for _, _, c in leas if c})
    return [
        f"lea_type={t}&county={c}"
        for t, c in itertools.product(LEA_TYPES, counties)
        if (t, c) not in held
    ]


COLUMNS: set[str] = set()  # the marts' column names, filled by the fixture


def assert_no_5xx(client, url: str, failures: list[str]) -> str:
    """Ask for `url`; a 5xx (or an exception) is a failure, and so is a page that shows a
    reader a dbt expression, a repository path, a bare code or a column name."""
    try:
        answer = client.get(url)
    except Exception as exc:  # the test client raises what the server did not handle
        failures.append(f"500 {url}: {type(exc).__name__} {exc}"[:300])
        return ""
    if answer.status_code >= 500:
        failures.append(f"{answer.status_code} {url}")
    if answer.status_code == 200 and answer.headers["content-type"].startswith("text/html"):
        found = leaks(answer.text, COLUMNS)
        if found:
            failures.append(f"{url} shows {found}")
    return answer.text if answer.status_code == 200 else ""


def test_an_empty_selection_says_so_in_words(walk):
    leas, _, _, _, clients = walk
    empty = empty_selections(leas)
    assert empty, "the small state must hold an LEA type x county with no LEA"
    answer = clients["state"].get(f"/dashboards/out-of-district?{empty[0]}")
    assert answer.status_code == 200
    assert "No LEA rosters for this selection." in answer.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_every_dashboard_answers_every_filter_value(walk, page, role):
    leas, years, fiscal, _, clients = walk
    failures: list[str] = []
    client = clients[role]
    empty = empty_selections(leas)
    for query in filter_queries(leas, years, fiscal):
        html = assert_no_5xx(client, f"{page}?{query}" if query else page, failures)
        if query == empty[0]:  # and every download of an empty selection
            links = set(re.findall(r'href="(/dashboards/[^"]*/download/[^"]+)"', html))
            for link in sorted(links):
                assert_no_5xx(client, link.replace("&amp;", "&"), failures)
    assert not failures, failures


@pytest.mark.parametrize("role", ROLES)
def test_every_lea_page_answers_every_school_year(walk, role):
    leas, years, _, _, clients = walk
    failures: list[str] = []
    for lea, _, _ in leas:
        assert_no_5xx(clients[role], f"/dashboards/lea/{lea}", failures)
        for year in years:
            assert_no_5xx(clients[role], f"/dashboards/lea/{lea}?school_year={year}", failures)
    assert not failures, failures


def test_every_disproportionality_drill_down_answers(walk):
    """One LEA and category of the state's disproportionality page: every LEA, every category
    of the first LEA in every school year, and an LEA outside the type filter asked for."""
    leas, years, _, _, clients = walk
    failures: list[str] = []
    client = clients["state"]
    page = "/dashboards/disproportionality"
    for lea, _, _ in leas:
        assert_no_5xx(client, f"{page}?lea_id={lea}&category=ID_ALL", failures)
    for category, year in itertools.product(DISPROPORTIONALITY_CATEGORY_LABELS, years):
        url = f"{page}?lea_id={leas[0][0]}&category={category}&school_year={year}"
        html = assert_no_5xx(client, url, failures)
        if category == "PL_SEPARATE":
            links = set(re.findall(r'href="(/dashboards/[^"]*/download/[^"]+)"', html))
            for link in sorted(links):
                assert_no_5xx(client, link.replace("&amp;", "&"), failures)
    other = next(t for t in LEA_TYPES if t != leas[0][1])
    assert_no_5xx(client, f"{page}?lea_id={leas[0][0]}&lea_type={other}", failures)
    assert not failures, failures


@pytest.mark.parametrize("role", ROLES)
def test_every_auditor_and_district_page_answers_every_value(walk, role):
    leas, years, fiscal, people, clients = walk
    failures: list[str] = []
    client = clients[role]
    figures = (
        "out_of_district",
        "lre_environments",
        "monitoring_coverage",
        "child_find",
        "proportionate_share",
        "submission_status",
    )
    for figure, (lea, _, _) in itertools.product(figures, leas[:4]):
        for period in [*years, *map(str, fiscal)]:
            assert_no_5xx(
                client, f"/auditors/lineage?figure={figure}&lea_id={lea}&period={period}", failures
            )
    for name in ("out_of_district", "lre_environments"):
        assert_no_5xx(client, f"/auditors/aggregates/{name}", failures)
    trail = assert_no_5xx(client, "/auditors/trail", failures)
    events = set(re.findall(r'<option value="([a-z_]+)"', trail))
    for event in sorted(events):
        assert_no_5xx(client, f"/auditors/trail?event={event}", failures)
    for collection in ("placements", "roster", "expenditures", "nothing"):
        assert_no_5xx(client, f"/auditors/trail?collection={collection}", failures)
    for lea in (people.own_lea, people.other_lea):
        for tail in ("", "/figures", "/students"):
            assert_no_5xx(client, f"/district/{lea}{tail}", failures)
    for path in ("/", "/mine", "/districts", "/auditors"):
        assert_no_5xx(client, path, failures)
    assert not failures, failures


def test_headings_follow_the_filters(walk):
    leas, _, _, _, clients = walk
    _, lea_type, county = leas[0]
    page = clients["state"].get(f"/dashboards?lea_type={lea_type}&county={county}").text
    assert f"in {county} county</h1>" in page
    assert f"in {county} county: the headline rates over the years" in page  # the chart too


def test_an_lea_is_found_by_name_or_id(walk):
    leas, _, _, _, clients = walk
    client = clients["state"]
    con_name = client.get(f"/dashboards/lea/{leas[0][0]}").text
    name = re.search(r"<h1>(.*?) <small", con_name).group(1)
    word = name.split()[0]
    by_name = client.get(f"/dashboards/lea?lea_id={word.lower()}")
    assert by_name.status_code in (200, 303)
    if by_name.status_code == 303:
        assert by_name.headers["location"] == f"/dashboards/lea/{leas[0][0]}"
    else:
        assert f'href="/dashboards/lea/{leas[0][0]}"' in by_name.text
    by_id = client.get(f"/dashboards/lea?lea_id={leas[0][0]}")
    assert by_id.status_code == 303
    none = client.get("/dashboards/lea?lea_id=no such district")
    assert none.status_code == 404 and "No LEA has that id" in none.text


def test_each_chart_has_a_text_alternative_and_its_data_as_a_table(walk):
    _, _, _, _, clients = walk
    page = clients["state"].get("/dashboards/out-of-district").text
    charts = page.count('class="plotly-chart"')
    assert charts and page.count('role="figure" aria-label="') == charts
    assert page.count('<details class="chart-data">') >= charts - 1  # an empty chart has none
    assert "<th>Out-of-district rate</th>" in page


def test_a_district_sees_all_of_its_own_figures(walk):
    _, _, _, people, clients = walk
    mine = clients["district"].get(f"/district/{people.own_lea}/figures").text
    for heading in (
        "Proportionate share",
        "Child find",
        "Out-of-district placements",
        "Educational environments (LRE)",
        "Monitoring of out-of-district students",
    ):
        assert f"<h2>{heading}" in mine, heading
    assert "<th>Out-of-district rate</th>" in mine and "<th>Coverage rate</th>" in mine
    theirs = clients["district"].get(f"/district/{people.other_lea}/figures")
    assert theirs.status_code == 403
    audited = clients["auditor"].get(f"/district/{people.own_lea}/figures").text
    assert "<h2>Out-of-district placements" in audited
    assert "Monitoring of out-of-district students" not in audited  # no shared table


def test_every_page_has_a_skip_link_to_its_content(walk):
    _, _, _, people, clients = walk
    for url in ("/dashboards", f"/district/{people.own_lea}", "/auditors/trail"):
        page = clients["state"].get(url).text
        assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page
