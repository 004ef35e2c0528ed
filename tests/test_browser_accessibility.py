"""Every page of every role in a real browser (Debian's chromium, Playwright) against a real
`sped serve` on the small state: axe-core (axe-playwright-python) reports no serious or
critical violation on any page, no page scrolls sideways at a phone's 390 px or a laptop's
1366x768 (a wide table scrolls inside its own box), and a screenshot of each page per role at
both sizes goes to tests/artifacts/pages/ (git-ignored). One walk per role serves all three."""

from __future__ import annotations

from pathlib import Path

import pytest

from sped.web.local_server import serving
from sped.web.routes.dashboards import TABS
from tests.browser_session import CHROMIUM, browser, drawn_charts, signed_in
from tests.dashboard_state import AS_OF, small_state
from tests.web_dashboard_state import add_people_of

pytestmark = pytest.mark.slow
__all__ = ["browser"]  # the fixture, shared through tests/browser_session.py
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
        "lre-by-lea": "/dashboards/lre/by-lea",
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


def serious(results) -> list[str]:
    found = []
    for v in results.response["violations"]:
        if v["impact"] in SERIOUS:
            targets = [n["target"] for n in v["nodes"][:3]]
            found.append(f"{v['id']} ({v['impact']}): {v['help']} {targets}")
    return found


#: The document's own sideways scroll, and the outermost elements that stick out of the window
#: without a scrolling box of their own between them and the page (what to fix).
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const scrolls = (el) => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
  const wide = [];
  const out = (el) => el.getBoundingClientRect().right > width + 1;
  const walk = (el) => {  // the innermost elements that stick out, a scrolling box not entered
    for (const child of el.children) {
      const inner = scrolls(child) ? [] : [...child.children].filter(out);
      if (out(child) && !inner.length) {
        const name = child.tagName.toLowerCase() + (child.id ? "#" + child.id : "");
        const right = Math.round(child.getBoundingClientRect().right);
        wide.push(name + " " + (child.className || "") + " to " + right + " px");
      }
      if (!scrolls(child)) walk(child);
    }
  };
  walk(document.body);
  return {scroll: document.scrollingElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""
SIZES = ((1366, 768, "laptop"), (390, 844, "phone"))


@pytest.fixture(scope="module")
def walked(site, browser):
    """Each role's walk, made once and shared by the tests that read it: every page of the role
    at each size, photographed; its serious axe violations (at the laptop's size) and how far
    the document scrolls sideways (at both)."""
    from axe_playwright_python.sync_playwright import Axe

    people, base = site
    account = {"state": people.state, "district": people.district, "auditor": people.auditor}
    done: dict[str, dict] = {}

    def walk(role: str) -> dict:
        if role in done:
            return done[role]
        found = {"status": {}, "axe": {}, "sideways": {}}
        for width, height, size in SIZES:
            context, page, _ = signed_in(browser, base, account[role], width=width, height=height)
            try:
                for name, path in pages_of(role, people.own_lea).items():
                    answer = page.goto(base + path)
                    found["status"][path] = answer.status
                    if page.locator("div.plotly-chart").count():
                        drawn_charts(page)
                    page.screenshot(path=str(SHOTS / f"{role}-{name}-{size}.png"), full_page=True)
                    if size == "laptop":
                        problems = serious(Axe().run(page))
                        if problems:
                            found["axe"][path] = problems
                    measured = page.evaluate(SIDEWAYS)
                    if measured["scroll"] > measured["width"]:
                        found["sideways"][f"{path} at {width} px"] = measured
            finally:
                context.close()
        done[role] = found
        return found

    return walk


@pytest.mark.parametrize("role", ["state", "district", "auditor"])
def test_every_page_passes_axe_and_is_photographed(walked, role):
    found = walked(role)
    assert set(found["status"].values()) == {200}, found["status"]
    assert not found["axe"], found["axe"]


@pytest.mark.parametrize("role", ["state", "district", "auditor"])
def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(walked, role):
    """At 390 px and at 1366x768 the document is never wider than the window: a wide table
    scrolls inside its own box, charts and forms fit."""
    assert not walked(role)["sideways"], walked(role)["sideways"]


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
