"""Every page of every role in a real browser (Debian's chromium, Playwright) against a real
`sped serve` on the small state: axe-core (axe-playwright-python) reports no serious or
critical violation on any page, and a screenshot of each page per role goes to
tests/artifacts/pages/ (git-ignored), at a laptop's 1366x768 and at a phone's 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from sped.web.local_server import serving
from sped.web.routes.dashboards import TABS
from tests.dashboard_state import AS_OF, small_state
from tests.test_browser_dashboards import CHROMIUM, drawn_charts
from tests.web_dashboard_state import PASSWORD, add_people_of

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parent / "artifacts" / "pages"
SERIOUS = ("serious", "critical")


def pages_of(role: str, own: str) -> dict[str, str]:
    common = {"templates": "/templates", "dictionary": "/dictionary/placements"}
    if role == "district":
        return {
            "district": f"/district/{own}",
            "district-figures": f"/district/{own}/figures",
            "district-students": f"/district/{own}/students",
            **common,
        }
    auditors = {
        "districts": "/districts",
        "district": f"/district/{own}",
        "district-figures": f"/district/{own}/figures",
        "auditors": "/auditors",
        "quality-index": "/auditors/reports/quality/index.html",
        "trail": "/auditors/trail",
        "lineage": f"/auditors/lineage?figure=out_of_district&lea_id={own}&period=2025-26",
        "aggregates-ood": "/auditors/aggregates/out_of_district",
        "aggregates-lre": "/auditors/aggregates/lre_environments",
        **common,
    }
    if role == "auditor":
        return auditors
    return {
        **{slug: path for slug, _, path in TABS},  # every dashboard page with a tab
        "lea": f"/dashboards/lea/{own}",
        "disproportionality-lea": f"/dashboards/disproportionality?lea_id={own}&category=ID_ALL",
        "district-students": f"/district/{own}/students",
        **auditors,
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make browser` installs it")
    inst = small_state(tmp_path_factory, "axe")
    people = add_people_of(inst)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(inst.warehouse, as_of=AS_OF) as base:
        yield people, base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


def signed_in_page(browser, base: str, account: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}/signin")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return context, page


def serious(results) -> list[str]:
    found = []
    for v in results.response["violations"]:
        if v["impact"] in SERIOUS:
            targets = [n["target"] for n in v["nodes"][:3]]
            found.append(f"{v['id']} ({v['impact']}): {v['help']} {targets}")
    return found


@pytest.mark.parametrize("role", ["state", "district", "auditor"])
def test_every_page_passes_axe_and_is_photographed(site, browser, role):
    from axe_playwright_python.sync_playwright import Axe

    people, base = site
    account = {"state": people.state, "district": people.district, "auditor": people.auditor}
    axe = Axe()
    failures: dict[str, list[str]] = {}
    for width, height, size in ((1366, 768, "laptop"), (390, 844, "phone")):
        context, page = signed_in_page(browser, base, account[role], width, height)
        try:
            for name, path in pages_of(role, people.own_lea).items():
                answer = page.goto(base + path)
                assert answer.status == 200, (role, path, answer.status)
                if page.locator("div.plotly-chart").count():
                    drawn_charts(page)
                page.screenshot(path=str(SHOTS / f"{role}-{name}-{size}.png"), full_page=True)
                if size == "laptop":
                    found = serious(axe.run(page))
                    if found:
                        failures[path] = found
        finally:
            context.close()
    assert not failures, failures


def test_the_signin_page_passes_axe(site, browser):
    from axe_playwright_python.sync_playwright import Axe

    _, base = site
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{base}/signin")
        page.screenshot(path=str(SHOTS / "anonymous-signin-laptop.png"), full_page=True)
        assert not serious(Axe().run(page))
    finally:
        context.close()
