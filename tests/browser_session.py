"""What the browser tests share: Debian's chromium launched once per module through Playwright
(the `browser` fixture), a person signed in through the sign-in form (`sign_in`, `signed_in`)
and the wait for a page's plotly charts to be drawn (`drawn_charts`). Screenshots go to
`ARTIFACTS` (tests/artifacts/, git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_dashboard_state import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: SVG (or, for heatmaps, image) elements that are data marks in a drawn plotly chart
DATA_MARKS = (
    ".barlayer .point path, .scatterlayer .points path, .scatterlayer .js-line, "
    ".boxlayer path.box, .funnellayer .point path, .heatmaplayer image, "
    ".indicatorlayer .numbers text"
)


@pytest.fixture(scope="module")
def browser():
    """One chromium for the module's tests (each test opens its own contexts)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def sign_in(page, base: str, account: str, password: str = PASSWORD) -> None:
    """Sign `account` in through the sign-in form of the open page."""
    page.goto(f"{base}/signin")
    page.fill("input[name=account]", account)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def signed_in(browser, base: str, account: str, *, width: int = 1400, height: int = 1000):
    """A new context and page of that size with `account` signed in, and the list the page's
    console errors and uncaught exceptions are collected in."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, account)
    return context, page, errors


def drawn_charts(page) -> dict[str, int]:
    """Wait until every chart of the page is drawn; data marks per chart id."""
    total = page.locator("div.plotly-chart").count()
    page.wait_for_function(
        f"document.querySelectorAll('div.plotly-chart[data-drawn=true]').length === {total}",
        timeout=30_000,
    )
    marks = {}
    for i in range(total):
        chart = page.locator("div.plotly-chart").nth(i)
        marks[chart.get_attribute("id")] = chart.locator(DATA_MARKS).count()
    return marks
