"""The state's "federal files" section of the overview dashboard (sped/dashboards/federal.py;
docs/federal_files.md) in a real browser (Debian's chromium driven by Playwright) against a real
`sped serve` on the small state: the analyst sees both files with their titles in words, each
edit check described in words (no repository path, no column or check name, the EDFacts age
codes in words) with its result and the records that break it with their unit, and downloads a
file whose checks pass; a district user is refused the page and the files.
A screenshot goes to tests/artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser_session import browser, signed_in
from tests.test_browser_dashboards import ARTIFACTS, YEAR, site

pytestmark = pytest.mark.slow
__all__ = ["browser", "site"]  # the fixtures, shared with the dashboards' browser tests

TITLES = [
    "FS002 · Children with disabilities (IDEA) school age",
    "FS089 · Children with disabilities (IDEA) early childhood",
]
#: What a page must not show: a repository path, a snake_case name (a column, a check's file
#: name), an EDFacts code without its words.
RAW = re.compile(r"docs/|\.md\b|\.sql\b|\b[a-z0-9]+_[a-z0-9_]+\b|\bAGE05(?:NOT)?K\b")


def test_the_analyst_sees_the_federal_files_section_in_words(site, browser):
    _, people, base = site
    context, page, errors = signed_in(browser, base, people.state)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    errors.clear()  # what the sign-in page logged (its own tests cover it): this page's only
    try:
        page.goto(f"{base}/dashboards")
        section = page.locator("#federal-files")
        section.scroll_into_view_if_needed()
        assert section.is_visible()
        assert section.locator("h2").inner_text() == (
            f"Federal files (EDFacts child count), {YEAR}"
        )
        assert section.locator("h3").all_inner_texts() == TITLES
        tables = section.locator("table.federal-checks")
        assert tables.count() == 2
        for t in range(2):
            headings = tables.nth(t).locator("thead th").all_inner_texts()
            assert headings == ["Edit check", "Result", "Records that break it"]
            rows = tables.nth(t).locator("tbody tr")
            assert rows.count() == 5  # the five federal edit checks
            for r in range(rows.count()):
                what, result, records = rows.nth(r).locator("td").all_inner_texts()
                assert what.startswith("EDFacts edit check: ") and not RAW.search(what), what
                assert result in ("passed", "failed")
                assert re.fullmatch(r"\d[\d,]* records?", records), records  # with its unit
        ages = tables.first.locator("tbody tr").first.inner_text()
        assert "5 in kindergarten" in ages and "5 not in kindergarten" in ages
        assert not RAW.search(section.inner_text())
        section.screenshot(path=str(ARTIFACTS / "dashboard-federal-files.png"))

        # every check passes on the small state: both files are offered, and download
        links = section.locator("p.downloads a")
        assert links.all_inner_texts() == ["SEA file", "LEA file"] * 2
        with page.expect_download() as download:
            links.first.click()
        saved = download.value.path()
        assert download.value.suggested_filename == "MASEAIDEADISABv01.txt"
        with open(saved, "rb") as f:
            assert f.read().startswith(b"SEA CHILDREN WITH DISABILITIES")
        assert not errors, (errors, missing)
    finally:
        context.close()


def test_a_district_user_gets_neither_the_section_nor_the_files(site, browser):
    """The dashboards are the state's: a district user is refused the page (in words) and the
    files, which are never suppressed."""
    _, people, base = site
    context, page, _ = signed_in(browser, base, people.district)
    try:
        answer = page.goto(f"{base}/dashboards")
        assert answer is not None and answer.status == 403
        assert page.locator("#federal-files").count() == 0
        assert "FS002" not in page.content()
        for level in ("SEA", "LEA"):
            url = f"{base}/dashboards/federal/FS002/{level}.txt?school_year={YEAR}"
            assert page.request.get(url).status == 403
    finally:
        context.close()
