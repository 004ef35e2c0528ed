"""The dashboards, the figures API and the auditors' pages on the small state, server-side:
every page answers 200 for the roles that may see it and 403 (or the sign-in page) for the
others; downloads and the API carry the marts' numbers with formulas neutralised; a district
token reads only its own LEAs (403 when it names another); an auditor token only the shared
aggregates; plotly.js is served by the application."""

from __future__ import annotations

import csv
import io
import re

import duckdb
import plotly
import polars as pl
import pytest

from sped.dashboards import exports, figures, formats, lineage
from tests.dashboard_state import AS_OF, small_state
from tests.web_dashboard_state import add_people_of, app_for, clients_of

pytestmark = pytest.mark.slow
YEAR = "2025-26"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    inst = small_state(tmp_path_factory, "webdash")
    people = add_people_of(inst)
    app = app_for(inst, AS_OF)
    clients = clients_of(app, people)
    return inst, people, app, clients


def mart(inst, sql, params=None) -> pl.DataFrame:
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        return con.sql(sql, params=params).pl()
    finally:
        con.close()


STATE_ONLY = [
    "/dashboards",
    "/dashboards/out-of-district",
    "/dashboards/proportionate-share",
    "/dashboards/monitoring",
    "/dashboards/child-find",
    "/dashboards/lre",
    "/dashboards/submissions",
    "/dashboards/out-of-district?school_year=2024-25&lea_type=REGULAR",
    "/dashboards/proportionate-share?fiscal_year=2026&months=24",
    "/dashboards/lea/{own}",
    "/dashboards/lre/by-lea",
    "/dashboards/lre/by-lea.xlsx?age_group=3-5&lea_type=REGULAR",
    "/dashboards/out-of-district/download/ood-ranking.csv",
    "/dashboards/proportionate-share/download/share-totals.xlsx",
    "/dashboards/lea/{own}/download/lea-out-of-district.csv",
    "/dashboards/export/618.csv",
    "/dashboards/export/618.xlsx",
    "/dashboards/federal/FS002/SEA.txt",
    "/dashboards/federal/FS089/LEA.txt",
]
AUDITOR_AND_STATE = [
    "/auditors",
    "/auditors/reports/quality/index.html",
    "/auditors/trail",
    "/auditors/trail?lea_id={own}&collection=placements&since=2020-01-01",
    "/auditors/trail.csv",
    "/auditors/trail.xlsx",
    "/auditors/lineage",
    "/auditors/lineage?figure=proportionate_share&lea_id={own}&period=2026",
    "/auditors/lineage?figure=out_of_district&lea_id={own}&period=2025-26",
    "/auditors/aggregates/out_of_district",
    "/auditors/aggregates/lre_environments",
]
EXPECTED = {
    **{path: {"state": 200, "district": 403, "auditor": 403} for path in STATE_ONLY},
    **{path: {"state": 200, "district": 403, "auditor": 200} for path in AUDITOR_AND_STATE},
}


@pytest.mark.parametrize("role", ["state", "district", "auditor", "anonymous"])
@pytest.mark.parametrize("path", list(EXPECTED))
def test_every_page_answers_each_role_as_it_may(world, path, role):
    _, people, _, clients = world
    url = path.format(own=people.own_lea)
    answer = clients[role].get(url)
    if role == "anonymous":
        assert answer.status_code == 303 and answer.headers["location"] == "/signin"
        return
    assert answer.status_code == EXPECTED[path][role], (url, answer.text[:300])


def test_dashboard_pages_embed_their_charts_and_load_plotly_from_the_app(world):
    _, _, _, clients = world
    page = clients["state"].get("/dashboards/out-of-district").text
    assert page.count('class="plotly-chart"') == 8
    assert '<script src="/dashboards/assets/plotly.min.js' in page
    assert "cdn.plot.ly" not in page and "https://" not in page.split("<main")[1]
    assert "Funnel plot" in page  # the outlier method is stated on the page
    js = clients["anonymous"].get(f"/dashboards/assets/plotly.min.js?v={plotly.__version__}")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert clients["anonymous"].get("/dashboards/assets/dashboards.js").status_code == 200
    assert clients["anonymous"].get("/dashboards/assets/../app.py").status_code == 404
    policy = clients["state"].get("/dashboards/lre").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "<script>" not in page  # charts are JSON data blocks, drawn by the app's own script


def test_a_chart_download_is_the_mart(world):
    inst, _, _, clients = world
    answer = clients["state"].get(
        f"/dashboards/monitoring/download/monitoring-coverage.csv?school_year={YEAR}"
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = mart(
        inst,
        "SELECT * FROM marts.fct_monitoring_coverage WHERE school_year = ? AND ood_students > 0",
        [YEAR],
    )
    got = {r["lea_id"]: r for r in rows}
    assert set(got) == set(expected["lea_id"])
    for r in expected.iter_rows(named=True):
        assert int(got[r["lea_id"]]["fully_covered"]) == r["fully_covered"]
        assert float(got[r["lea_id"]]["coverage_rate"]) == pytest.approx(r["coverage_rate"])


def test_carryover_paid_from_the_next_grant_is_shown(world):
    """The generator's LEAs whose next year's grant paid part of a carryover obligation
    (docs/rules/proportionate_share.md): listed on the proportionate-share page and its download,
    and a line of their district worksheet."""
    inst, _, _, clients = world
    paid = mart(
        inst,
        "SELECT lea_id, fiscal_year, spent_611_next_grant FROM marts.fct_proportionate_share "
        "WHERE spent_611_next_grant > 0 ORDER BY lea_id, fiscal_year",
    )
    assert paid.height > 0
    page = clients["state"].get("/dashboards/proportionate-share")
    assert page.status_code == 200 and "Paid from the next grant" in page.text
    table = page.text.split('id="paid-from-next-grant"')[1].split("</section>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', table)
    assert cells and all(c.startswith("$") for c in cells), cells  # the shared money format
    for r in paid.iter_rows(named=True):
        assert f"FY {r['fiscal_year']}" in table
        assert formats.money(r["spent_611_next_grant"]) in cells
    download = clients["state"].get(
        "/dashboards/proportionate-share/download/paid-from-next-grant.csv"
    )
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["lea_id"], int(r["fiscal_year"])) for r in rows] == list(
        zip(paid["lea_id"], paid["fiscal_year"], strict=True)
    )
    lea, fy, amount = paid.row(0)
    worksheet = clients["state"].get(f"/district/{lea}/figures").text
    card = worksheet.split(f'id="share-{fy}"')[1].split("</section>")[0]
    assert "of which paid from the next grant" in card and f"{amount:,.2f}" in card
    assert f"FY {fy + 1} funds" in card
    # the figure's lineage names the next year's file that paid it
    payer = mart(
        inst,
        "SELECT DISTINCT submission_id FROM staging.stg_expenditures "
        "WHERE lea_id = ? AND applies_to_fiscal_year = ?",
        [lea, fy],
    )["submission_id"]
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        used = lineage.lineage(con, "proportionate_share", lea, str(fy))
    finally:
        con.close()
    assert set(payer) <= set(used.filter(pl.col("collection") == "expenditures")["submission_id"])


def test_each_leas_environments_are_listed_found_paged_and_exported(world):
    """LRE by LEA: one row per LEA with the mart's share of each environment (in the shared
    rate format), found by name, narrowed by type and age group, paged, exported whole;
    the state team's page only (a district reads its own LEA on its figures page)."""
    inst, people, _, clients = world
    state = clients["state"]
    mart_rows = mart(
        inst,
        "SELECT e.lea_id, d.lea_name, e.educational_environment, e.share, e.students "
        "FROM marts.fct_lre_environments e JOIN marts.dim_lea d USING (lea_id) "
        "WHERE e.school_year = ? AND e.age_group = '6-21'",
        [YEAR],
    )
    page = state.get("/dashboards/lre/by-lea")
    assert page.status_code == 200
    table = page.text.split('id="lre-by-lea"')[1].split("</table>")[0]
    assert table.count("<tr>") - 1 == mart_rows["lea_id"].n_unique()  # a row per LEA
    assert "Inside regular class 80% or more of the day" in table  # words, not RC80
    one = mart_rows.filter(pl.col("lea_id") == people.own_lea)
    row = table.split(f'href="/dashboards/lea/{people.own_lea}"')[1].split("</tr>")[0]
    for share in one["share"]:
        assert formats.rate(share) in row
    name = one["lea_name"][0]
    found = state.get("/dashboards/lre/by-lea", params={"lea": name.split()[0].lower()})
    assert f'href="/dashboards/lea/{people.own_lea}"' in found.text
    assert "Rows 1–" in found.text
    download = state.get("/dashboards/lre/by-lea.csv", params={"lea_type": "REGULAR"})
    rows = list(csv.DictReader(io.StringIO(download.text)))
    regular = mart(inst, "SELECT lea_id FROM marts.dim_lea WHERE lea_type = 'REGULAR' ORDER BY 1")[
        "lea_id"
    ]
    assert {r["lea_id"] for r in rows} == set(mart_rows["lea_id"]) & set(regular)
    mine = next(r for r in rows if r["lea_id"] == people.own_lea)
    for code, share in zip(one["educational_environment"], one["share"], strict=True):
        assert float(mine[f"{code.lower()}_share"]) == pytest.approx(share)
    assert int(mine["students"]) == one["students"].sum()
    preschool = state.get("/dashboards/lre/by-lea", params={"age_group": "3-5"}).text
    assert "Regular early childhood program 10+ hours, services there" in preschool
    assert state.get("/dashboards/lre/by-lea", params={"age_group": "9-99"}).status_code == 422
    for role in ("district", "auditor"):
        assert clients[role].get("/dashboards/lre/by-lea").status_code == 403
        assert clients[role].get("/dashboards/lre/by-lea.csv").status_code == 403
    assert 'href="/dashboards/lre/by-lea"' in state.get("/dashboards/lre").text


def test_filters_change_what_a_page_shows(world):
    _, _, _, clients = world
    everyone = clients["state"].get("/dashboards/out-of-district/download/ood-ranking.csv")
    regular = clients["state"].get(
        "/dashboards/out-of-district/download/ood-ranking.csv?lea_type=REGULAR"
    )
    all_rows = list(csv.DictReader(io.StringIO(everyone.text)))
    some = list(csv.DictReader(io.StringIO(regular.text)))
    assert 0 < len(some) < len(all_rows)
    assert clients["state"].get("/dashboards?school_year=2025").status_code == 422
    assert clients["state"].get("/dashboards?lea_type=PRIVATE").status_code == 422


def test_the_618_export_has_the_federal_header(world):
    _, _, _, clients = world
    answer = clients["state"].get(f"/dashboards/export/618.csv?school_year={YEAR}")
    header = next(csv.reader(io.StringIO(answer.text)))
    assert tuple(header) == exports.federal_618_header(YEAR)


def test_the_state_page_has_the_federal_files_and_the_lre_page_their_breakdowns(world):
    _, _, _, clients = world
    page = clients["state"].get(f"/dashboards?school_year={YEAR}").text
    assert 'id="federal-files"' in page and "FS002" in page and "FS089" in page
    assert "failed" not in page.split('id="federal-files"')[1].split("</section>")[0]
    lre = clients["state"].get(f"/dashboards/lre?school_year={YEAR}").text
    for breakdown in ("race", "sex", "english-learner", "disability"):
        assert f'id="chart-lre-by-{breakdown}"' in lre
    answer = clients["state"].get(f"/dashboards/federal/FS002/SEA.txt?school_year={YEAR}")
    lines = answer.content.decode("ascii").split("\r\n")
    assert lines[0].startswith("SEA CHILDREN WITH DISABILITIES")
    assert int(lines[0][50:60]) == len(lines) - 2  # the header counts the data records
    assert "MASEAIDEADISABv01.txt" in answer.headers["content-disposition"]
    assert clients["state"].get("/dashboards/federal/FS003/SEA.txt").status_code == 404


# -- the figures API ---------------------------------------------------------------------------


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_serves_every_figure_with_the_marts_columns_to_the_state(world):
    inst, people, _, clients = world
    client = clients["anonymous"]
    for name, source in figures.SOURCES.items():
        answer = client.get(f"/api/v1/figures/{name}", headers=bearer(people.state_token))
        assert answer.status_code == 200, (name, answer.text)
        body = answer.json()
        expected = mart(inst, f"SELECT * FROM {source.mart}")
        assert body["columns"] == expected.columns
        assert len(body["rows"]) == expected.height
    ood = client.get(
        f"/api/v1/figures/out_of_district?school_year={YEAR}&lea_id={people.own_lea}",
        headers=bearer(people.state_token),
    ).json()["rows"]
    expected = mart(
        inst,
        "SELECT * FROM marts.fct_out_of_district WHERE school_year = ? AND lea_id = ?",
        [YEAR, people.own_lea],
    )
    assert ood[0]["ood_students"] == expected["ood_students"][0]
    assert ood[0]["ood_rate"] == pytest.approx(expected["ood_rate"][0])
    as_csv = client.get(
        "/api/v1/figures/proportionate_share.csv?fiscal_year=2026",
        headers=bearer(people.state_token),
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    share = mart(
        inst,
        "SELECT lea_id, required_611 FROM marts.fct_proportionate_share WHERE fiscal_year = 2026",
    )
    got = {r["lea_id"]: r["required_611"] for r in rows}
    for lea, required in share.iter_rows():
        assert got[lea] == ("" if required is None else f"{required:.2f}")


def test_a_district_token_reads_only_its_own_leas(world):
    _, people, _, clients = world
    client, auth = clients["anonymous"], bearer(people.district_token)
    for name in figures.FIGURE_NAMES:
        rows = client.get(f"/api/v1/figures/{name}", headers=auth).json()["rows"]
        assert rows and {r["lea_id"] for r in rows} == {people.own_lea}, name
    other = client.get(f"/api/v1/figures/out_of_district?lea_id={people.other_lea}", headers=auth)
    assert other.status_code == 403
    assert (
        client.get(
            f"/api/v1/figures/child_find.csv?lea_id={people.other_lea}", headers=auth
        ).status_code
        == 403
    )
    assert client.get("/api/v1/exports/618.csv", headers=auth).status_code == 403


def test_an_auditor_token_reads_only_the_shared_aggregates(world):
    inst, people, _, clients = world
    client, auth = clients["anonymous"], bearer(people.auditor_token)
    body = client.get("/api/v1/figures/out_of_district", headers=auth).json()
    assert body["source"] == "shared.shr_out_of_district"
    shared = mart(inst, "SELECT * FROM shared.shr_out_of_district")
    assert body["columns"] == shared.columns and len(body["rows"]) == shared.height
    assert any(r["ood_students"] is None for r in body["rows"])  # suppressed cells stay hidden
    assert client.get("/api/v1/figures/proportionate_share", headers=auth).status_code == 403


def test_the_api_refuses_without_a_token_and_with_bad_filters(world):
    _, people, _, clients = world
    client = clients["anonymous"]
    assert client.get("/api/v1/figures/out_of_district").status_code == 401
    assert (
        client.get("/api/v1/figures/out_of_district", headers=bearer("not-a-token")).status_code
        == 401
    )
    auth = bearer(people.state_token)
    assert client.get("/api/v1/figures/nothing", headers=auth).status_code == 422
    assert client.get("/api/v1/figures/child_find?school_year=x", headers=auth).status_code == 422
    assert client.get("/api/v1/figures", headers=auth).status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/figures/{name}" in spec["paths"]


# -- auditors ------------------------------------------------------------------------------------


def test_the_audit_trail_filters_and_exports(world):
    _, people, _, clients = world
    client = clients["auditor"]
    page = client.get(f"/auditors/trail?lea_id={people.own_lea}&collection=placements")
    assert page.status_code == 200 and "accepted" in page.text
    export = client.get(f"/auditors/trail.csv?lea_id={people.own_lea}&collection=placements")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows and {r["lea_id"] for r in rows} == {people.own_lea}
    assert {r["collection"] for r in rows} == {"placements"}
    everything = list(csv.DictReader(io.StringIO(client.get("/auditors/trail.csv").text)))
    events = {r["event"] for r in everything}
    assert {"received", "accepted", "signed_in", "account_added"} <= events
    assert client.get("/auditors/trail?since=yesterday").status_code == 422


def test_lineage_page_names_the_submissions_and_checksums(world):
    inst, people, _, clients = world
    page = clients["auditor"].get(
        f"/auditors/lineage?figure=out_of_district&lea_id={people.own_lea}&period={YEAR}"
    )
    assert page.status_code == 200
    sub = mart(
        inst,
        "SELECT sha256 FROM raw.submissions WHERE collection = 'placements' "
        "AND lea_id = ? AND period = ? AND in_force",
        [people.own_lea, YEAR],
    )
    assert sub["sha256"][0] in page.text
    assert "student_id" not in page.text  # aggregates only


def test_quality_reports_are_served_behind_sign_in_only(world):
    _, _, _, clients = world
    assert clients["anonymous"].get("/auditors/reports/quality/index.html").status_code == 303
    assert (
        clients["auditor"].get("/auditors/reports/quality/..%2F..%2Fregistry.sqlite").status_code
        == 404
    )
    assert clients["auditor"].get("/auditors/reports/quality/nothing.html").status_code == 404
