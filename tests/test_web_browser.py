"""The web application in a real browser: Debian's chromium driven by Playwright against a
real `sped serve` (uvicorn) on 127.0.0.1. Each role signs in; a district sends a good and a bad
file and reads the messages, downloads the annotated file, cannot reach another LEA's page and
signs out. A screenshot of each main page is saved under tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sped.web.local_server import serving
from tests import browser_session
from tests.browser_session import browser
from tests.web_fixtures import (
    AS_OF,
    PASSWORD,
    good_and_bad_roster,
    shared_base,
    web_installation,
)

pytestmark = pytest.mark.slow
__all__ = ["browser"]  # the fixture, shared through tests/browser_session.py
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def base_url(web):
    with serving(web.inst.warehouse, as_of=AS_OF) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(60_000)
    opened = context.new_page()
    yield opened
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base_url: str, name: str) -> None:
    browser_session.sign_in(page, base_url, name, PASSWORD[name])


def upload(page, lea: str, name: str, data: bytes) -> None:
    page.select_option("select[name=collection]", "placements")
    page.fill("input[name=period]", "2025-26")
    page.set_input_files(
        "input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.click("form[action$='/upload'] button[type=submit]")
    page.wait_for_selector("#verdict")


def test_district_sends_a_good_and_a_bad_file(page, base_url, web):
    good, bad = good_and_bad_roster(web)
    sign_in(page, base_url, "clerk")
    assert page.url.endswith(f"/district/{web.own_lea}")
    assert page.is_visible("#history") and "Figures last rebuilt" in page.inner_text("#rebuilt")
    shot(page, "district_overview")

    upload(page, web.own_lea, "roster_good.csv", good)
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("Accepted"), verdict
    shot(page, "district_upload_accepted")

    page.goto(f"{base_url}/district/{web.own_lea}")
    upload(page, web.own_lea, "roster_bad.csv", bad)
    assert page.inner_text("#verdict").startswith("Rejected")
    errors = page.inner_text("#errors")
    assert "placements.count_date.window" in errors and "count window" in errors
    assert "2025-06-30" in errors  # the value found
    shot(page, "district_upload_rejected")

    with page.expect_download() as download:
        page.click("#annotated")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    head, first = text.splitlines()[:2]
    assert head.startswith("row,errors,warnings,lea_id")
    assert "placements.count_date.window" in first

    page.goto(f"{base_url}/district/{web.own_lea}")
    assert "roster_bad.csv" in page.inner_text("#history")  # listed with its outcome

    page.goto(f"{base_url}/district/{web.own_lea}/figures")
    assert "Proportionate share" in page.inner_text("main")
    shot(page, "district_figures")
    page.goto(f"{base_url}/district/{web.own_lea}/students")
    shot(page, "district_students")
    page.goto(f"{base_url}/templates")
    shot(page, "templates")

    answer = page.goto(f"{base_url}/district/{web.other_lea}")
    assert answer.status == 403 and "Not allowed" in page.inner_text("h1")
    shot(page, "district_other_lea_refused")
    answer = page.goto(f"{base_url}/district/{web.other_lea}/students")
    assert answer.status == 403

    page.click("form.signout button")
    page.wait_for_url(f"{base_url}/signin")
    page.goto(f"{base_url}/district/{web.own_lea}")
    assert page.url == f"{base_url}/signin"


def test_state_signs_in_and_sees_every_district(page, base_url, web):
    sign_in(page, base_url, "analyst")
    assert page.url.endswith("/districts")
    assert web.own_lea in page.inner_text("main") and web.other_lea in page.inner_text("main")
    shot(page, "state_districts")
    page.click(f"a[href='/district/{web.other_lea}']")
    assert page.inner_text("h1").startswith(f"District {web.other_lea}")
    page.goto(f"{base_url}/district/{web.other_lea}/students")
    assert page.inner_text("h1").endswith("out-of-district students to follow up")


def test_auditor_signs_in_and_sees_no_student_rows(page, base_url, web):
    sign_in(page, base_url, "auditor")
    assert page.url.endswith("/districts")
    shot(page, "auditor_districts")
    page.goto(f"{base_url}/district/{web.own_lea}")
    assert not page.is_visible("form[action$='/upload']")
    answer = page.goto(f"{base_url}/district/{web.own_lea}/students")
    assert answer.status == 403


def test_a_wrong_password_is_refused_in_the_browser(page, base_url):
    page.goto(f"{base_url}/signin")
    page.fill("input[name=account]", "analyst")
    page.fill("input[name=password]", "certainly not it")
    page.click("button[type=submit]")
    assert "wrong" in page.inner_text("[role=alert]")
    shot(page, "signin_failed")
