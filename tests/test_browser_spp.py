"""The public LEA reports and the state's SPP/APR page in a real browser (Debian's chromium
driven by Playwright) against a real `sped serve` on 127.0.0.1, on the small state: an anonymous
visitor lists the LEAs, opens reports and sees the suppression marks, and reaches nothing else
(the dashboards send it to sign-in, the API answers 401); an analyst sees every chart of the
indicators page drawn with data, and the school-year filter changes it; and the state's
significant disproportionality page drawn with data, drilled down to one LEA and category's
counts (category changed, counts downloaded). Screenshots go to tests/artifacts/."""

from __future__ import annotations

import csv
import re

import pytest

from tests.browser_session import ARTIFACTS, browser, drawn_charts, signed_in
from tests.test_browser_dashboards import site

pytestmark = pytest.mark.slow
__all__ = ["browser", "site"]  # the fixtures, shared with the dashboards' browser tests


def test_an_anonymous_visitor_reads_the_public_reports_and_nothing_else(site, browser):
    _, people, base = site
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/public/")
        links = page.locator("a[href^='/public/leas/']")
        assert links.count() >= 10
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        page.screenshot(path=str(ARTIFACTS / "public-leas.png"), full_page=True)
        links.first.click()
        page.wait_for_load_state("load")
        assert page.url.startswith(f"{base}/public/leas/")
        assert page.locator("table.spp-report").count() == 2  # two school years
        marked = None
        for href in hrefs:
            page.goto(base + href)
            rows = page.locator("table.spp-report tbody tr")
            assert rows.count() == 12, href  # six indicators, two years
            if page.locator("span.suppressed").count() > 1:  # the legend has one
                marked = href
                break
        assert marked, "no LEA of the small state has a suppressed figure"
        page.screenshot(path=str(ARTIFACTS / "public-lea-report.png"), full_page=True)
        assert page.get_by_text("not shown").count() > 1
        assert page.locator("form.signout").count() == 0
        page.goto(f"{base}/dashboards/spp-indicators")
        assert page.url == f"{base}/signin"
        page.goto(f"{base}/district/{people.own_lea}")
        assert page.url == f"{base}/signin"
        api = page.request.get(f"{base}/api/v1/figures/spp_indicators")
        assert api.status == 401
        assert not errors, errors
    finally:
        context.close()


def test_an_analyst_sees_the_indicators_page_drawn_and_filtered(site, browser):
    _, people, base = site
    context, page, errors = signed_in(browser, base, people.state)
    try:
        page.goto(f"{base}/dashboards/spp-indicators")
        marks = drawn_charts(page)
        assert len(marks) == 8
        assert not [c for c, n in marks.items() if n == 0], marks
        assert "2025-26" in page.locator("#chart-spp-5a").inner_text()
        page.screenshot(path=str(ARTIFACTS / "dashboard-spp-indicators.png"), full_page=True)
        page.select_option("select[name=school_year]", "2024-25")
        page.click("#apply-filters")
        page.wait_for_load_state("load")
        drawn_charts(page)
        assert "2024-25" in page.locator("#chart-spp-5a").inner_text()
        assert not [e for e in errors if "Content Security Policy" in e or "Plotly" in e], errors
    finally:
        context.close()


def test_an_analyst_drills_the_disproportionality_page_down_to_the_counts(site, browser):
    _, people, base = site
    context, page, errors = signed_in(browser, base, people.state)
    try:
        page.goto(f"{base}/dashboards/disproportionality?school_year=2025-26")
        marks = drawn_charts(page)
        assert set(marks) == {
            "chart-dispro-exceeding",
            "chart-dispro-years",
            "chart-dispro-categories",
        }
        assert not [c for c, n in marks.items() if n == 0], marks
        ratio = page.locator("#disproportionality-exceeding tbody tr td.num").first.inner_text()
        assert re.fullmatch(r"\d+\.\d{2}", ratio), ratio  # two decimals
        page.screenshot(path=str(ARTIFACTS / "dashboard-disproportionality.png"), full_page=True)
        page.locator("#disproportionality-exceeding a.drill").first.click()
        page.wait_for_load_state("load")
        assert "lea_id=" in page.url and "category=" in page.url
        marks = drawn_charts(page)
        assert marks["chart-dispro-lea-risks"] > 0, marks
        rows = page.locator("#disproportionality-groups tbody tr")
        assert rows.count() == 7  # the seven racial and ethnic groups
        assert "%" in rows.first.locator("td").nth(3).inner_text()  # a risk, as a percentage
        page.screenshot(
            path=str(ARTIFACTS / "dashboard-disproportionality-lea.png"), full_page=True
        )
        page.select_option("select[name=category]", "PL_RC39")
        page.click("#apply-category")
        page.wait_for_load_state("load")
        assert "category=PL_RC39" in page.url
        assert "Placement inside the regular class less than 40% of the day" in page.inner_text(
            "#disproportionality-counts h2"
        )
        drawn_charts(page)
        with page.expect_download() as info:
            page.locator("a[href*='lea-category-counts.csv']").first.click()
        with open(info.value.path(), encoding="utf-8") as f:
            got = list(csv.DictReader(f))
        assert got and {r["category"] for r in got} == {"PL_RC39"}
        assert {r["category_label"] for r in got} == {
            "Placement inside the regular class less than 40% of the day"
        }
        assert not [e for e in errors if "Content Security Policy" in e or "Plotly" in e], errors
    finally:
        context.close()
