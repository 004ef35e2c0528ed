"""Who is asking, and may they: sessions, CSRF tokens and the role and LEA checks.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous): HttpOnly,
SameSite=Strict, holding the account name, when it signed in and the session's CSRF token. Every
request reloads the account from the registry, so a disabled account is out at its next click.
Every form carries the CSRF token and every POST handler checks it (`check_csrf`). The API takes
`Authorization: Bearer <token>` instead (tokens from `sped accounts token`), never a cookie.

Pages answer an anonymous visitor with a redirect to the sign-in page; the API with 401. A
signed-in account asking for what its role or LEAs do not cover gets 403, never the data.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sped.landing.accounts import Account
from sped.web.portal import Portal

SESSION_HOURS = 8
bearer = HTTPBearer(auto_error=False, description="an API token from `sped accounts token`")


class SignInRequired(Exception):
    """An anonymous visitor asked for a page: send them to the sign-in page."""


def portal(request: Request) -> Portal:
    return request.app.state.portal


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); none outside the session middleware
    (the last-resort error page)."""
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "The form has expired or did not come from this site. Reload it.")


def sign_in_session(request: Request, account: Account) -> None:
    request.session.clear()
    request.session.update(
        {"account": account.account, "since": int(time.time()), "csrf": secrets.token_urlsafe(32)}
    )


def session_account(request: Request) -> Account | None:
    """The signed-in, still active account of this session, or None."""
    name = request.session.get("account")
    if not name:
        return None
    if time.time() - request.session.get("since", 0) > SESSION_HOURS * 3600:
        request.session.clear()
        return None
    with portal(request).registry() as registry:
        account = registry.account(name)
    if account is None or account.disabled:
        request.session.clear()
        return None
    return account


def page_account(request: Request) -> Account:
    account = session_account(request)
    if account is None:
        raise SignInRequired()
    request.state.account = account
    return account


def require_role(*roles: str) -> Callable[..., Account]:
    """A dependency: the signed-in account, if its role is one of `roles` (else 403)."""

    def dependency(account: Annotated[Account, Depends(page_account)]) -> Account:
        if account.role not in roles:
            raise HTTPException(403, f"A {account.role} account may not open this page.")
        return account

    return dependency


def require_admin(account: Annotated[Account, Depends(page_account)]) -> Account:
    if not account.is_admin:
        raise HTTPException(403, "Only an account administrator may open this page.")
    return account


def authorise_lea(account: Account, lea_id: str) -> str:
    """`lea_id` if the account may see that LEA, else 403 (the same answer whether or not the
    LEA exists, so nothing is learnt from it)."""
    if not account.may_see_lea(lea_id):
        raise HTTPException(403, "You may see only the districts your account belongs to.")
    return lea_id


def lea_page_account(lea_id: str, account: Annotated[Account, Depends(page_account)]) -> Account:
    """A dependency for pages under /district/{lea_id}: the account, authorised for the LEA."""
    authorise_lea(account, lea_id)
    return account


def api_account(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    """The active account of a live API token (401 otherwise)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "Send an API token: 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with portal(request).registry() as registry:
        account = registry.token_account(credentials.credentials)
    if account is None:
        raise HTTPException(
            401,
            "The API token is not valid (revoked, mistyped, or its account is disabled).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.account = account
    return account


#: the annotations routes use: `account: PageAccount`, `account: LeaAccount` (with an
#: `lea_id` path parameter), `account: ApiAccount`
PageAccount = Annotated[Account, Depends(page_account)]
LeaAccount = Annotated[Account, Depends(lea_page_account)]
ApiAccount = Annotated[Account, Depends(api_account)]
StateOrAuditor = Annotated[Account, Depends(require_role("state", "auditor"))]
AdminAccount = Annotated[Account, Depends(require_admin)]
