"""The dashboards and auditors' pages in a real browser (Debian's chromium driven by
Playwright) against a real `sped serve` (uvicorn) on 127.0.0.1, on the small state: every
dashboard draws each of its charts with data points in the SVG, a filter changes a chart, a
click on an LEA's bar reaches its LEA page, a CSV download equals the mart, an auditor opens
the audit trail and a lineage page. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import csv

import duckdb
import pytest

from sped.web.local_server import serving
from tests.browser_session import ARTIFACTS, CHROMIUM, browser, drawn_charts, signed_in
from tests.dashboard_state import AS_OF, small_state
from tests.web_dashboard_state import add_people_of

pytestmark = pytest.mark.slow
__all__ = ["browser"]  # the fixture, shared through tests/browser_session.py
YEAR = "2025-26"
PAGES = {
    "overview": "/dashboards",
    "out-of-district": "/dashboards/out-of-district",
    "proportionate-share": "/dashboards/proportionate-share",
    "monitoring": "/dashboards/monitoring",
    "child-find": "/dashboards/child-find",
    "lre": "/dashboards/lre",
    "submissions": "/dashboards/submissions",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make browser` installs it")
    inst = small_state(tmp_path_factory, "browser")
    people = add_people_of(inst)
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(inst.warehouse, as_of=AS_OF) as base:
        yield inst, people, base


def bars(page, chart_id: str) -> int:
    return page.locator(f"#chart-{chart_id} .barlayer .point path").count()


def test_an_analyst_sees_every_dashboard_drawn_with_data(site, browser):
    _, people, base = site
    context, page, errors = signed_in(browser, base, people.state)
    try:
        for slug, path in PAGES.items():
            page.goto(base + path)
            marks = drawn_charts(page)
            assert marks, slug
            empty = [chart for chart, n in marks.items() if n == 0]
            assert not empty, (slug, empty)
            page.screenshot(path=str(ARTIFACTS / f"dashboard-{slug}.png"), full_page=True)
            page.screenshot(path=str(ARTIFACTS / f"dashboard-{slug}-top.png"))  # README size
        assert not [e for e in errors if "Content Security Policy" in e or "Plotly" in e], errors
    finally:
        context.close()


def test_a_filter_changes_a_chart_and_a_click_drills_down_to_the_lea(site, browser):
    _, people, base = site
    context, page, _ = signed_in(browser, base, people.state)
    try:
        page.goto(f"{base}/dashboards/out-of-district")
        drawn_charts(page)
        every = bars(page, "ood-ranking")
        page.locator("#section-ood-ranking").screenshot(
            path=str(ARTIFACTS / "chart-ood-ranking.png")
        )
        page.select_option("select[name=lea_type]", "REGULAR")
        page.click("#apply-filters")
        page.wait_for_url("**lea_type=REGULAR**")
        drawn_charts(page)
        regular = bars(page, "ood-ranking")
        assert 0 < regular < every
        page.locator("#chart-ood-ranking .barlayer .point path").first.click(force=True)
        page.wait_for_url("**/dashboards/lea/**", timeout=15_000)
        lea_id = page.url.rsplit("/", 1)[1]
        assert lea_id in page.locator("h1").inner_text()
        marks = drawn_charts(page)
        assert marks, marks
        for chart, n in marks.items():  # a chart with nothing to draw says why in words
            assert n or page.locator(f"#{chart} .annotation-text").count(), chart
        page.screenshot(path=str(ARTIFACTS / "dashboard-lea.png"), full_page=True)
    finally:
        context.close()


def test_a_csv_download_equals_the_mart(site, browser):
    inst, people, base = site
    context, page, _ = signed_in(browser, base, people.state)
    try:
        page.goto(f"{base}/dashboards/child-find?school_year={YEAR}")
        with page.expect_download() as info:
            page.click("#section-child-find-timeliness .downloads a:text('CSV')")
        path = info.value.path()
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    finally:
        context.close()
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        expected = con.execute(
            "SELECT lea_id, evaluated_within_timeline, evaluated_with_consent, timely_rate "
            "FROM marts.fct_child_find WHERE school_year = ? AND evaluated_with_consent > 0",
            [YEAR],
        ).fetchall()
    finally:
        con.close()
    got = {r["lea_id"]: r for r in rows}
    assert set(got) == {e[0] for e in expected}
    for lea, within, consented, rate in expected:
        assert int(got[lea]["evaluated_within_timeline"]) == within
        assert int(got[lea]["evaluated_with_consent"]) == consented
        assert float(got[lea]["timely_rate"]) == pytest.approx(rate)


def test_an_auditor_opens_the_audit_trail_and_a_lineage_page(site, browser):
    inst, people, base = site
    context, page, _ = signed_in(browser, base, people.auditor)
    try:
        page.goto(f"{base}/auditors")
        page.click("text=Audit trail")
        page.wait_for_url("**/auditors/trail")
        assert page.locator("#trail tbody tr").count() > 10
        page.fill("input[name=lea_id]", people.own_lea)
        page.click("button:text('Filter')")
        page.wait_for_url(f"**lea_id={people.own_lea}**")
        leas = set(page.locator("#trail tbody tr td:nth-child(6)").all_inner_texts())
        assert leas == {people.own_lea}
        page.screenshot(path=str(ARTIFACTS / "auditor-trail.png"), full_page=True)
        page.goto(f"{base}/auditors/lineage")
        page.select_option("select[name=figure]", "out_of_district")
        page.fill("input[name=lea_id]", people.own_lea)
        page.fill("input[name=period]", YEAR)
        page.click("button:text('Trace')")
        page.wait_for_selector("#lineage")
        text = page.locator("#lineage").inner_text()
        page.screenshot(path=str(ARTIFACTS / "auditor-lineage.png"), full_page=True)
        assert page.goto(f"{base}/dashboards").status == 403  # not an analyst
    finally:
        context.close()
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        (digest,) = con.execute(
            "SELECT sha256 FROM raw.submissions WHERE collection = 'placements' AND lea_id = ? "
            "AND period = ? AND in_force",
            [people.own_lea, YEAR],
        ).fetchone()
    finally:
        con.close()
    assert digest in text
