"""Sign-in and sign-out. Failed attempts are counted per account (a lock after repeated
failures) and per client address (a pause after a burst), and every attempt is in the audit
trail; the page never says whether a name exists."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sped.web.auth import check_csrf, portal, session_account, sign_in_session
from sped.web.pages import render

router = APIRouter(include_in_schema=False)

#: failed sign-ins one client address may make in a window before it is told to wait
CLIENT_FAILURES = 20
CLIENT_WINDOW_S = 300
_failures: dict[str, deque[float]] = defaultdict(deque)
_failures_lock = threading.Lock()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttled(client: str) -> bool:
    with _failures_lock:
        recent = _failures[client]
        while recent and recent[0] < time.monotonic() - CLIENT_WINDOW_S:
            recent.popleft()
        return len(recent) >= CLIENT_FAILURES


def _count_failure(client: str) -> None:
    with _failures_lock:
        _failures[client].append(time.monotonic())


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
    if _throttled(client):
        return render(
            request,
            "signin.html",
            {"error": "Too many failed sign-ins from here. Wait a few minutes.", "name": name},
            status_code=429,
        )
    with portal(request).registry() as registry:
        found, why = registry.sign_in(name, password, source=f"web {client}")
    if found is None:
        _count_failure(client)
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
