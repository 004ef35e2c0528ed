"""Sign-in and sign-out. Every attempt is in the audit trail, and the page never says whether
a name exists.

Two limits, one per account and one per client address (docs/rules/identifiers_and_privacy.md,
"Signing in"):
- per account name: MAX_FAILURES wrong passwords in a row lock the name for LOCK_MINUTES
  (sped/landing/accounts.py), whether or not an account of that name exists, so "locked" tells
  nothing; a correct password for a locked name is refused until the lock ends;
- per client address (the peer, or the address a trusted proxy forwarded: sped/web/proxies.py,
  so users behind one proxy are told apart): CLIENT_FAILURES failures within CLIENT_WINDOW_S
  pause the address (recorded once as `signin_paused`). While paused, a sign-in from it is
  checked only for an account that has signed in from that same address before (the audit
  trail says so); every other attempt is answered 429 without checking the password, since an
  answer would let whoever sprays guesses across accounts carry on. So a colleague at the same
  address who has signed in from it before is not shut out, and a password sprayer is.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sped.web.auth import check_csrf, client_address, portal, session_account, sign_in_session
from sped.web.pages import render

router = APIRouter(include_in_schema=False)

#: failed sign-ins one client address may make in a window before it is paused
CLIENT_FAILURES = 20
CLIENT_WINDOW_S = 300
_failures: dict[str, deque[float]] = defaultdict(deque)
_failures_lock = threading.Lock()


def _client(request: Request) -> str:
    return client_address(request)


def _throttled(client: str) -> bool:
    with _failures_lock:
        recent = _failures[client]
        while recent and recent[0] < time.monotonic() - CLIENT_WINDOW_S:
            recent.popleft()
        return len(recent) >= CLIENT_FAILURES


def _count_failure(client: str) -> bool:
    """Count a failure; True when it is the one that pauses the address."""
    with _failures_lock:
        _failures[client].append(time.monotonic())
        return len(_failures[client]) == CLIENT_FAILURES


@router.get("/signin")
def signin_page(request: Request) -> Response:
    account = session_account(request)
    if account is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "signin.html", {"error": None, "name": ""})


@router.post("/signin")
def signin(
    request: Request,
    account: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
    csrf: str = Form("", max_length=200),
) -> Response:
    check_csrf(request, csrf)
    client = _client(request)
    name = account.strip().lower()
    source = f"web {client}"
    with portal(request).registry() as registry:
        if _throttled(client) and not registry.signed_in_from(name, source=source):
            return render(
                request,
                "signin.html",
                {"error": "Too many failed sign-ins from here. Wait a few minutes.", "name": name},
                status_code=429,
            )
        found, why = registry.sign_in(name, password, source=source)
        if found is None and _count_failure(client):
            registry.record_web_refusal(
                "signin_paused",
                f"{source}: {CLIENT_FAILURES} failed sign-ins within "
                f"{CLIENT_WINDOW_S // 60} min; paused",
            )
    if found is None:
        message = "The account name or password is wrong, or the account is not active."
        if why.startswith("locked"):
            message = "This account is locked after repeated failures. Try again later."
        return render(request, "signin.html", {"error": message, "name": name}, status_code=401)
    sign_in_session(request, found)
    return RedirectResponse("/", status_code=303)


@router.post("/signout")
def signout(request: Request, csrf: str = Form("", max_length=200)) -> Response:
    check_csrf(request, csrf)
    token = request.session.get("sid")
    request.session.clear()
    if token:  # ended on the server: a copy of the cookie no longer signs anyone in
        with portal(request).registry() as registry:
            registry.end_session(token, source=f"web {_client(request)}")
    return RedirectResponse("/signin", status_code=303)
