"""Sign-in that neither reveals nor blocks the wrong people (issue 25, item 7): forms refuse a
foreign `Origin`; lockout answers the same for unknown names, disabled and active accounts;
the per-address limit keys on the client address a trusted proxy forwards (never on a header
from anyone else), so one address behind a proxy does not block the others; while an address is
paused, only an account that signed in from it before is still checked."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sped.landing.accounts import MAX_FAILURES
from sped.run.steps import open_registry
from sped.web.app import create_app
from sped.web.routes.signin import CLIENT_FAILURES
from tests.web_fixtures import AS_OF, PASSWORD, shared_base, web_installation

pytestmark = pytest.mark.slow
PROXY = "10.0.0.2"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("signin"))


@pytest.fixture(scope="module")
def app(web):
    return create_app(
        web.inst, as_of=AS_OF, start_pipeline=False, warm_up=False, forwarded_allow_ips=PROXY
    )


def _csrf(client: TestClient, path: str = "/signin", **headers) -> str:
    page = client.get(path, headers=headers)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def _attempt(client: TestClient, name: str, password: str, **headers):
    return client.post(
        "/signin",
        data={"account": name, "password": password, "csrf": _csrf(client, **headers)},
        headers=headers,
        follow_redirects=False,
    )


def _events(web, kind: str) -> list[str]:
    with open_registry(web.inst) as reg:
        return [e["detail"] for e in reg.events() if e["event"] == kind]


def test_forms_from_another_origin_are_refused(app, web):
    client = TestClient(app, client=("192.0.2.10", 5000))
    assert _attempt(client, "clerk", PASSWORD["clerk"]).status_code == 303
    here = {"Origin": "http://testserver"}
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        answer = client.post(
            "/signout",
            data={"csrf": _csrf(client, "/templates")},
            headers={"Origin": origin},
        )
        assert answer.status_code == 403 and "did not come from this site" in answer.text
        assert client.get("/templates", follow_redirects=False).status_code == 200  # still in
        forged_signin = _attempt(TestClient(app), "clerk", PASSWORD["clerk"], Origin=origin)
        assert forged_signin.status_code == 403
    refused = _events(web, "form_origin_refused")
    assert any(d.startswith("clerk via web 192.0.2.10: /signout from https://evil.example")
               for d in refused)  # fmt: skip
    out = client.post("/signout", data={"csrf": _csrf(client, "/templates")}, headers=here)
    assert out.status_code == 200  # the site's own origin (or none, as curl sends) is fine
    assert client.get("/templates", follow_redirects=False).status_code == 303


def _answers(client: TestClient, name: str, password: str) -> list[tuple[int, str]]:
    """(status, error shown) for MAX_FAILURES + 1 attempts, the last with `password`."""
    seen = []
    for attempt in range(MAX_FAILURES + 1):
        typed = password if attempt == MAX_FAILURES else f"wrong guess number {attempt}"
        answer = _attempt(client, name, typed)
        error = re.search(r'role="alert"[^>]*>([^<]*)<', answer.text)
        seen.append((answer.status_code, error.group(1) if error else ""))
    return seen


def test_lockout_answers_the_same_for_unknown_disabled_and_real_names(app, web):
    with open_registry(web.inst) as reg:
        reg.add_account("retired", "auditor", password="retired-auditor-pw")
        reg.disable_account("retired")
    client = TestClient(app, client=("192.0.2.20", 5000))
    real = _answers(client, "auditor", PASSWORD["auditor"])
    unknown = _answers(client, "no-such-person", "whatever it is")
    disabled = _answers(client, "retired", "retired-auditor-pw")
    assert real == unknown == disabled
    assert real[MAX_FAILURES - 2][0] == 401 and "wrong" in real[MAX_FAILURES - 2][1]
    assert all(status == 401 and "locked" in said for status, said in real[MAX_FAILURES - 1 :])
    with open_registry(web.inst) as reg:
        reg.set_password("auditor", PASSWORD["auditor"])  # unlock for the other tests


def test_rate_limits_key_on_the_address_a_trusted_proxy_forwards(app, web):
    behind_proxy = TestClient(app, client=(PROXY, 5000))
    one = {"X-Forwarded-For": "198.51.100.7"}
    two = {"X-Forwarded-For": "203.0.113.9, 198.51.100.8"}  # the client's own claim, then
    # the address the proxy saw: only the latter counts
    for i in range(CLIENT_FAILURES):
        assert _attempt(behind_proxy, f"sprayed-{i}", "Spring2026!", **one).status_code == 401
    assert _attempt(behind_proxy, "analyst", PASSWORD["analyst"], **one).status_code == 429
    assert _attempt(behind_proxy, "analyst", PASSWORD["analyst"], **two).status_code == 303
    paused = _events(web, "signin_paused")
    assert any(d.startswith("web 198.51.100.7: ") for d in paused)
    assert not any("10.0.0.2" in d for d in paused)
    # a peer that is not a trusted proxy cannot pick its address with the header
    direct = TestClient(app, client=("192.0.2.30", 5000))
    for i in range(CLIENT_FAILURES):
        spoof = {"X-Forwarded-For": f"198.18.0.{i}"}
        assert _attempt(direct, f"sprayed-{i}", "Summer2026!", **spoof).status_code == 401
    fresh = {"X-Forwarded-For": "198.18.0.250"}
    assert _attempt(direct, "analyst", PASSWORD["analyst"], **fresh).status_code == 429


def test_a_paused_address_still_signs_in_who_signed_in_from_it_before(app, web):
    client = TestClient(app, client=("192.0.2.40", 5000))
    assert _attempt(client, "clerk", PASSWORD["clerk"]).status_code == 303
    for i in range(CLIENT_FAILURES):
        assert (
            _attempt(TestClient(app, client=("192.0.2.40", 5000)), f"x-{i}", "guess").status_code
            == 401
        )
    other = TestClient(app, client=("192.0.2.40", 5001))
    assert _attempt(other, "analyst", PASSWORD["analyst"]).status_code == 429  # never from here
    assert _attempt(other, "clerk", "a wrong password").status_code == 401  # still counted
    assert _attempt(other, "clerk", PASSWORD["clerk"]).status_code == 303


def test_behind_a_proxy_forms_are_checked_against_the_origin_the_browser_used(app):
    via_proxy = {
        "X-Forwarded-For": "198.51.100.77",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "portal.example.org",
    }
    public = "https://portal.example.org"
    inner = "https://sped.internal"  # the proxy's own HTTPS to the application
    proxy = TestClient(app, base_url=inner, client=(PROXY, 5000))
    ok = _attempt(proxy, "analyst", PASSWORD["analyst"], Origin=public, **via_proxy)
    assert ok.status_code == 303
    inside = _attempt(
        proxy, "analyst", PASSWORD["analyst"], Origin="http://testserver", **via_proxy
    )
    assert inside.status_code == 403
    # another peer cannot claim the public name with the header
    direct = TestClient(app, base_url=inner, client=("192.0.2.50", 5000))
    forged = _attempt(direct, "analyst", PASSWORD["analyst"], Origin=public, **via_proxy)
    assert forged.status_code == 403
