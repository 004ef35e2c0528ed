"""Every link on every page answers 2xx: a crawler signs in as each role, starts where the role
starts (and at the sign-in page), follows every same-site link it finds in the pages it reaches
(at most a few links of each shape: the same path with other ids or filters), and fails on any
link that does not answer 200 (after a redirect of the application's own)."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.dashboard_state import AS_OF, small_state
from tests.web_dashboard_state import add_people_of, app_for, signed_in

pytestmark = pytest.mark.slow
PER_SHAPE = 3
SKIP = ("/signout",)
HREF = re.compile(r'href="([^"#]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory):

    inst = small_state(tmp_path_factory, "links")
    people = add_people_of(inst)
    return app_for(inst, AS_OF), people


def shape(url: str) -> str:
    """A link's shape: its path with ids made alike, and the names of its parameters."""
    parts = urlsplit(url)
    path = re.sub(r"\d+", "#", parts.path)
    keys = sorted({p.split("=")[0] for p in parts.query.split("&") if p})
    return f"{path}?{'&'.join(keys)}"


def crawl(client, start: list[str]) -> tuple[int, list[str]]:
    queue, seen, shapes, broken = deque(start), set(start), {}, []
    while queue:
        url = queue.popleft()
        answer = client.get(url, follow_redirects=True)
        if answer.status_code != 200:
            broken.append(f"{answer.status_code} {url}")
            continue
        if not answer.headers["content-type"].startswith("text/html"):
            continue
        base = str(answer.url)
        for href in HREF.findall(answer.text):
            link = urljoin(base, html.unescape(href))
            parts = urlsplit(link)
            if parts.netloc != urlsplit(base).netloc or parts.path.startswith(SKIP):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen or shapes.get(shape(local), 0) >= PER_SHAPE:
                continue
            seen.add(local)
            shapes[shape(local)] = shapes.get(shape(local), 0) + 1
            queue.append(local)
    return len(seen), broken


@pytest.mark.parametrize("role", ["anonymous", "state", "district", "auditor"])
def test_every_link_answers(site, role):
    app, people = site
    name = {"state": people.state, "district": people.district, "auditor": people.auditor}
    client = signed_in(app, name.get(role))
    start = ["/signin"] if role == "anonymous" else ["/", "/dashboards", "/auditors", "/templates"]
    if role != "state":
        start = [u for u in start if u != "/dashboards"]
    if role == "district":
        start = [u for u in start if u != "/auditors"]
    visited, broken = crawl(client, start)
    assert visited >= len(start)
    assert not broken, broken


def test_long_tables_are_paged_and_filtered_on_the_server(site):
    app, people = site
    client = signed_in(app, people.auditor)
    first = client.get("/auditors/trail").text
    rows = first.split('<table class="grid" id="trail">')[1].count("<tr>") - 1
    assert 0 < rows <= 100 and "Page 1 of" in first and 'rel="next"' in first
    second = client.get("/auditors/trail?page=2").text
    assert "Page 2 of" in second and second != first
    everything = client.get("/auditors/aggregates/lre_environments").text
    assert "Page 1 of" in everything
    one = client.get(f"/auditors/aggregates/out_of_district?lea={people.own_lea}").text
    body = one.split('id="aggregates"')[1]
    assert body.count("<tr>") - 1 >= 1 and people.other_lea not in body


def test_quality_reports_are_inside_the_application_and_styled_by_it(site):
    app, people = site
    client = signed_in(app, people.auditor)
    answer = client.get("/auditors/reports/quality/index.html")
    assert answer.status_code == 200
    page = answer.text
    assert '<nav aria-label="main">' in page and 'href="/auditors"' in page
    assert "<style" not in page and ' style="' not in page
    assert '<link rel="stylesheet" href="/static/sped.css">' in page
    assert "style-src 'self'" in answer.headers["content-security-policy"]
    assert '<table class="grid">' in page


def test_the_api_is_documented_on_a_page_of_its_own(site):
    app, _ = site
    page = signed_in(app, None).get("/api")
    assert page.status_code == 200 and "GET /api/v1/figures/{name}" in page.text
    assert "/openapi.json" in page.text
