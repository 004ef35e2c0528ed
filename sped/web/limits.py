"""Two small ASGI middlewares: a bound on request bodies and the security headers of every
response.

`BodyLimit` answers 413 as soon as a request says (Content-Length) or turns out (counted while
it streams) to be larger than the limit, before any multipart parsing holds it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class TooLarge(Exception):
    pass


def _too_large_body(limit: int, path: str) -> tuple[bytes, bytes]:
    mb = limit / 1024 / 1024
    message = f"The file is too large: the limit is {mb:.0f} MB. Split it or remove blank rows."
    if path.startswith("/api/"):
        return json.dumps({"detail": message}).encode(), b"application/json"
    page = f"<!doctype html><title>Too large</title><p>{message}</p><p><a href='/'>Back</a></p>"
    return page.encode(), b"text/html; charset=utf-8"


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body, kind = _too_large_body(self.limit, scope.get("path", ""))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                message["headers"] = headers + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in have
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
