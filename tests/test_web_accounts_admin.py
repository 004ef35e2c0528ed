"""Account administration pages (/admin/accounts) for state administrators: the same rules and
audit events as `sped accounts` (the registry's account functions, the administrator named as
the actor), refused to everyone else, a refused form kept as typed."""

from __future__ import annotations

import re

import pytest

from sped.config.settings import Installation
from sped.run.steps import open_registry
from tests.web_dashboard_state import PASSWORD, app_for, signed_in


@pytest.fixture
def admin_site(inst: Installation):
    with open_registry(inst) as reg:
        reg.add_account("boss", "state", password=PASSWORD, is_admin=True)
        reg.add_account("analyst", "state", password=PASSWORD)
        reg.add_account("clerk", "district", ["0100000"], password=PASSWORD)
    return inst, app_for(inst, "2026-11-01")


def csrf_of(client) -> str:
    page = client.get("/admin/accounts")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def events(inst: Installation) -> list[tuple[str, str]]:
    with open_registry(inst) as reg:
        return [(e["event"], e["detail"]) for e in reg.events()]


def test_only_a_state_administrator_may_manage_accounts(admin_site):
    _, app = admin_site
    assert signed_in(app, "analyst").get("/admin/accounts").status_code == 403
    assert signed_in(app, "clerk").get("/admin/accounts").status_code == 403
    boss = signed_in(app, "boss")
    assert boss.get("/admin/accounts").status_code == 200
    assert 'href="/admin/accounts"' in boss.get("/templates").text
    assert 'href="/admin/accounts"' not in signed_in(app, "analyst").get("/templates").text


def test_an_administrator_adds_sets_issues_revokes_and_disables(admin_site):
    inst, app = admin_site
    boss = signed_in(app, "boss")
    csrf = csrf_of(boss)
    refused = boss.post(
        "/admin/accounts/add",
        data={"csrf": csrf, "name": "newclerk", "role": "district", "leas": ""},
    )
    assert refused.status_code == 422 and "needs at least one LEA" in refused.text
    assert 'value="newclerk"' in refused.text  # the form as typed
    added = boss.post(
        "/admin/accounts/add",
        data={"csrf": csrf, "name": "newclerk", "role": "district", "leas": "0100000"},
    )
    assert added.status_code == 303
    assert ("account_added", "newclerk (district) 0100000 by boss (web)") in events(inst)
    new_password = "another long pass phrase"
    assert (
        boss.post(
            "/admin/accounts/newclerk/password",
            data={"csrf": csrf, "new_password": new_password},
        ).status_code
        == 303
    )
    with open_registry(inst) as reg:
        assert reg.sign_in("newclerk", new_password, source="test")[0] is not None
    issued = boss.post("/admin/accounts/newclerk/token", data={"csrf": csrf})
    token = re.search(r'id="new-token">.*?<code>([^<]+)</code></p></div>', issued.text, re.S)
    with open_registry(inst) as reg:
        assert reg.token_account(token.group(1)).account == "newclerk"
    boss.post("/admin/accounts/newclerk/revoke", data={"csrf": csrf})
    with open_registry(inst) as reg:
        assert reg.token_account(token.group(1)) is None
    assert boss.post("/admin/accounts/newclerk/disable", data={"csrf": csrf}).status_code == 303
    with open_registry(inst) as reg:
        assert reg.account("newclerk").disabled
    kinds = [e for e, d in events(inst) if d.startswith("newclerk") and d.endswith("by boss (web)")]
    assert kinds == [
        "account_added",
        "password_changed",
        "token_created",
        "tokens_revoked",
        "account_disabled",
    ], kinds
    forged = boss.post("/admin/accounts/clerk/disable", data={"csrf": "forged"})
    assert forged.status_code == 403


def test_an_administrator_changes_a_district_accounts_leas_and_no_one_else_may(admin_site):
    inst, app = admin_site
    boss, analyst, clerk = (signed_in(app, n) for n in ("boss", "analyst", "clerk"))
    page = boss.get("/admin/accounts").text
    assert 'action="/admin/accounts/clerk/leas"' in page  # the control, on the clerk's row
    csrf = csrf_of(boss)
    for refused_client in (analyst, clerk):  # refused on the server, whatever the page shows
        token = re.search(r'name="csrf" value="([^"]+)"', refused_client.get("/templates").text)
        answer = refused_client.post(
            "/admin/accounts/clerk/leas", data={"csrf": token.group(1), "leas": "0200000"}
        )
        assert answer.status_code == 403
    with open_registry(inst) as reg:
        assert reg.account("clerk").lea_ids == ("0100000",)
    changed = boss.post(
        "/admin/accounts/clerk/leas", data={"csrf": csrf, "leas": "0200000, 0100000"}
    )
    assert changed.status_code == 303
    with open_registry(inst) as reg:
        assert reg.account("clerk").lea_ids == ("0100000", "0200000")
    assert (
        "account_leas_changed",
        "clerk: 0100000 -> 0100000 0200000 by boss (web)",
    ) in events(inst)
    assert clerk.get("/district/0200000").status_code == 200  # the live session follows
    emptied = boss.post("/admin/accounts/clerk/leas", data={"csrf": csrf, "leas": " "})
    assert emptied.status_code == 422 and "needs at least one LEA" in emptied.text
    not_district = boss.post("/admin/accounts/analyst/leas", data={"csrf": csrf, "leas": "0100000"})
    assert not_district.status_code == 422 and "not a member of LEAs" in not_district.text
    with open_registry(inst) as reg:
        assert reg.account("clerk").lea_ids == ("0100000", "0200000")
        assert reg.account("analyst").lea_ids == ()
