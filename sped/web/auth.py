"""Who is asking, and may they: sessions, CSRF tokens and the role and LEA checks.

Sessions live on the server (the registry's `sessions` table, sped/landing/sessions.py); the
cookie (Starlette's SessionMiddleware, signed with itsdangerous: HttpOnly, SameSite=Strict, Secure
over HTTPS) holds only the session's random token and its CSRF token. Every request looks the
session and its account up in the registry, so a session that was ended (sign-out, a password
change, a disabled account, an admin's "end all sessions") is out at its next click, even from a
copied cookie. Every form carries the CSRF token and every POST handler checks it and the
request's `Origin` (`check_csrf`). The API takes `Authorization: Bearer <token>` instead (tokens
from `sped accounts token`), never a cookie.

Pages answer an anonymous visitor with a redirect to the sign-in page; the API with 401. A
signed-in account asking for what its role or LEAs do not cover gets 403, never the data.
"""

from __future__ import annotations

import hmac
import secrets
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


def own_origin(request: Request) -> str:
    """This site's origin as the browser names it (scheme from a trusted proxy if any)."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def check_origin(request: Request) -> None:
    """A form sent by a browser names the page's origin (`Origin`); one from another origin
    (or "null": a sandboxed or file page) is refused, and recorded as `form_origin_refused` when
    it would have acted for a signed-in account. A request without `Origin` (not a browser's
    form) relies on the CSRF token alone."""
    origin = request.headers.get("origin")
    if origin is None or origin.strip().lower() == own_origin(request):
        return
    token = request.session.get("sid") if "session" in request.scope else None
    if token:
        from sped.contracts.findings import clip

        with portal(request).registry() as registry:
            account = registry.session_account(token)
            if account is not None:
                registry.record_web_refusal(
                    "form_origin_refused",
                    f"{account.account} via web {client_address(request)}: "
                    f"{request.url.path} from {clip(origin, 100)}",
                )
    raise HTTPException(403, "The form did not come from this site. Open it here and send again.")


def check_csrf(request: Request, submitted: str | None) -> None:
    """The form came from this site: its `Origin` (check_origin) and the session's token."""
    check_origin(request)
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "The form has expired or did not come from this site. Reload it.")


def client_address(request: Request) -> str:
    """The client's address: the peer, or the address a trusted proxy forwarded
    (sped/web/proxies.py)."""
    return request.client.host if request.client else "unknown"


def sign_in_session(request: Request, account: Account) -> None:
    """Start a server-side session for `account`; the cookie gets its token and a new CSRF
    token (anything the cookie held before is dropped)."""
    with portal(request).registry() as registry:
        token = registry.start_session(
            account.account, source=f"web {client_address(request)}", hours=SESSION_HOURS
        )
    request.session.clear()
    request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32)})


def session_account(request: Request) -> Account | None:
    """The signed-in, still active account of this request's live session, or None."""
    token = request.session.get("sid")
    if not token:
        return None
    with portal(request).registry() as registry:
        account = registry.session_account(token)
    if account is None:
        request.session.clear()
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
