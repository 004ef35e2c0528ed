"""Rendering a page: every template gets the signed-in account, the session's CSRF token and
the navigation its role may use (the links are a convenience; each route checks on its own)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from sped.landing.accounts import Account
from sped.web.auth import csrf_token

#: (label, path, roles that see the link); other areas (dashboards, auditors) add theirs here
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("Dashboards", "/dashboards", ("state",)),
    ("Districts", "/districts", ("state", "auditor")),
    ("Auditors", "/auditors", ("state", "auditor")),
    ("Templates and dictionary", "/templates", ("state", "district", "auditor")),
    ("Accounts", "/admin/accounts", ("state",)),  # administrators only (below)
]


def nav_for(account: Account | None) -> list[tuple[str, str]]:
    if account is None:
        return []
    links = [
        (label, path)
        for label, path, roles in NAV
        if account.role in roles and (account.is_admin or not path.startswith("/admin"))
    ]
    if account.role == "district":
        links = [(f"District {lea}", f"/district/{lea}") for lea in account.lea_ids] + links
    return links


def render(
    request: Request,
    template: str,
    context: dict | None = None,
    *,
    account: Account | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    portal = request.app.state.portal
    values = {
        "account": account,
        "nav": nav_for(account),
        "csrf": csrf_token(request),
        **(context or {}),
    }
    return portal.templates.TemplateResponse(request, template, values, status_code=status_code)
