"""Sessions end on the server (issue 25, item 6): a copy of a session cookie stops working the
moment its session is ended by signing out, a password change, disabling the account or an
admin's "end all sessions" (`sped accounts end-sessions`, `DELETE /api/v1/.../sessions`); each
is in the audit trail. The cookie is `Secure` over HTTPS: with `--https-only`, on an HTTPS
request, and when a trusted proxy says the client used HTTPS (never on an untrusted peer's say).
"""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from sped.cli import main
from sped.run.steps import open_registry
from sped.web.app import create_app
from tests.web_fixtures import AS_OF, PASSWORD, shared_base, web_installation

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("sessions"))


@pytest.fixture(scope="module")
def app(web):
    return create_app(web.inst, as_of=AS_OF, start_pipeline=False, warm_up=False)


def _csrf(client: TestClient, path: str = "/signin") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(app, name: str, password: str | None = None, **client_options) -> TestClient:
    client = TestClient(app, **client_options)
    answer = client.post(
        "/signin",
        data={"account": name, "password": password or PASSWORD[name], "csrf": _csrf(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def _copy(app, client: TestClient) -> TestClient:
    """Another browser holding a copy of `client`'s session cookie."""
    thief = TestClient(app)
    thief.cookies.set("sped_session", client.cookies["sped_session"])
    return thief


def _signed_in(client: TestClient) -> bool:
    answer = client.get("/templates", follow_redirects=False)
    assert answer.status_code in (200, 303), answer.status_code
    return answer.status_code == 200


def _events(web, kind: str) -> list[str]:
    with open_registry(web.inst) as reg:
        return [e["detail"] for e in reg.events() if e["event"] == kind]


def _cli(monkeypatch, web, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["accounts", *args, "--warehouse", str(web.inst.warehouse)])


def test_a_copied_cookie_stops_working_after_sign_out(app, web):
    browser = _sign_in(app, "clerk")
    copy = _copy(app, browser)
    assert _signed_in(copy)
    out = browser.post("/signout", data={"csrf": _csrf(browser, "/templates")})
    assert out.status_code == 200 and "Sign in" in out.text
    assert not _signed_in(copy) and not _signed_in(browser)
    assert any(d.startswith("clerk via web") for d in _events(web, "signed_out"))
    # the other sessions of the same account are not touched by one sign-out
    other, second = _sign_in(app, "clerk"), _sign_in(app, "clerk")
    second.post("/signout", data={"csrf": _csrf(second, "/templates")})
    assert _signed_in(other)


def test_a_password_change_ends_every_session_of_the_account(app, web, monkeypatch):
    copy = _copy(app, _sign_in(app, "clerk"))
    bystander = _sign_in(app, "analyst")
    assert _signed_in(copy)
    new = "a new clerk password"
    assert _cli(monkeypatch, web, "password", "clerk", "--password-stdin", stdin=new + "\n") == 0
    assert not _signed_in(copy)
    assert _signed_in(bystander)  # another account's session is not touched
    assert _signed_in(_sign_in(app, "clerk", new))  # the new password signs in again
    ended = _events(web, "sessions_ended")
    assert any(re.match(r"clerk: [1-9]\d* \(password changed\) by state@", d) for d in ended)
    with open_registry(web.inst) as reg:
        reg.set_password("clerk", PASSWORD["clerk"])


def test_disabling_an_account_ends_its_sessions(app, web, monkeypatch):
    with open_registry(web.inst) as reg:
        reg.add_account("leaving", "auditor", password="leaving-auditor-pw")
    copy = _copy(app, _sign_in(app, "leaving", "leaving-auditor-pw"))
    assert _signed_in(copy)
    assert _cli(monkeypatch, web, "disable", "leaving") == 0
    assert not _signed_in(copy)
    ended = _events(web, "sessions_ended")
    assert any(d.startswith("leaving: 1 (account disabled)") for d in ended)


def test_an_admin_ends_all_sessions_from_the_command_line(app, web, monkeypatch, capsys):
    one, two = _copy(app, _sign_in(app, "auditor")), _sign_in(app, "auditor")
    bystander = _sign_in(app, "clerk")
    assert _cli(monkeypatch, web, "end-sessions", "auditor") == 0
    assert "ended 2 live web session(s) of auditor" in capsys.readouterr().out
    assert not _signed_in(one) and not _signed_in(two) and _signed_in(bystander)
    assert _cli(monkeypatch, web, "end-sessions") == 2  # every account needs --all
    assert _cli(monkeypatch, web, "end-sessions", "--all") == 0
    assert not _signed_in(bystander)
    details = _events(web, "sessions_ended")
    owner_admin = "by state@"
    assert any(d.startswith("auditor: 2 (ended by an admin)") and owner_admin in d for d in details)
    assert any(d.startswith("every account: ") for d in details)


def test_an_admin_ends_sessions_through_the_api(app, web):
    copy = _copy(app, _sign_in(app, "auditor"))
    api = TestClient(app)

    def end(token_of: str, path: str):
        return api.delete(path, headers={"Authorization": f"Bearer {web.tokens[token_of]}"})

    assert end("district", "/api/v1/accounts/auditor/sessions").status_code == 403
    assert end("auditor", "/api/v1/sessions").status_code == 403
    assert api.delete("/api/v1/sessions").status_code == 401
    assert _signed_in(copy)
    assert end("state", "/api/v1/accounts/nobody-here/sessions").status_code == 404
    answer = end("state", "/api/v1/accounts/auditor/sessions")
    assert answer.status_code == 200 and answer.json() == {
        "account": "auditor",
        "sessions_ended": 1,
    }
    assert not _signed_in(copy)
    assert any("analyst (API token)" in d for d in _events(web, "sessions_ended"))


def test_the_registry_keeps_only_the_tokens_hash(app, web):
    browser = _sign_in(app, "auditor")
    token = browser.cookies["sped_session"]
    with open_registry(web.inst) as reg:
        rows = reg._con.execute("SELECT * FROM sessions").fetchall()
    assert rows and all(token not in " ".join(map(str, r)) for r in rows)


def _cookie_of(client: TestClient, **headers) -> str:
    """The session cookie the sign-in page sets (it holds the form's CSRF token)."""
    answer = client.get("/signin", headers=headers)
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("sped_session=")
    return cookie


def test_the_cookie_is_secure_over_https_only(web, app):
    assert "secure" not in _cookie_of(TestClient(app))  # plain HTTP, no proxy
    assert "; secure" not in _cookie_of(TestClient(app), **{"X-Forwarded-Proto": "https"})
    assert "; secure" in _cookie_of(TestClient(app, base_url="https://testserver"))
    https_only = create_app(
        web.inst, as_of=AS_OF, start_pipeline=False, warm_up=False, secure_cookies=True
    )
    assert "; secure" in _cookie_of(TestClient(https_only))
    behind = create_app(
        web.inst,
        as_of=AS_OF,
        start_pipeline=False,
        warm_up=False,
        forwarded_allow_ips="10.0.0.2",
    )
    proxy = TestClient(behind, client=("10.0.0.2", 40000))
    assert "; secure" in _cookie_of(proxy, **{"X-Forwarded-Proto": "https"})
    elsewhere = TestClient(behind, client=("10.0.0.9", 40000))  # not the trusted proxy
    assert "secure" not in _cookie_of(elsewhere, **{"X-Forwarded-Proto": "https"})


def test_sped_serve_takes_the_https_and_proxy_options():
    from sped.cli import build_parser

    args = build_parser().parse_args(
        ["serve", "--https-only", "--forwarded-allow-ips", "10.0.0.2,10.1.0.0/16"]
    )
    assert args.https_only and args.forwarded_allow_ips == "10.0.0.2,10.1.0.0/16"
    assert main(["serve", "--forwarded-allow-ips", "not-an-address", "--warehouse", "/x/w.db"]) == 2
