"""Who the client is, and whether it came over HTTPS, when the application sits behind a
reverse proxy; and the `Secure` flag on cookies sent over HTTPS.

`sped serve --forwarded-allow-ips 10.0.0.2,10.0.1.0/24` names the proxies whose
`X-Forwarded-For` and `X-Forwarded-Proto` headers are believed. From any other peer those headers
are ignored: the client is the peer itself, so nobody picks their own address by sending a
header. From a trusted proxy, the client is the right-most address of `X-Forwarded-For` that is
not itself a trusted proxy (each proxy appends the address it received the request from, so the
addresses to its left are whatever the client sent and are never believed), the scheme is the
proxy's `X-Forwarded-Proto`, and the host the browser asked for its `X-Forwarded-Host` (forms
are checked against that origin: sped/web/auth.py `check_origin`). Sign-in rate limits and the
audit trail use that address, so the users behind one proxy are told apart
(sped/web/routes/signin.py).

`SecureCookies` marks every cookie `Secure` when the request came over HTTPS (directly, or per a
trusted proxy) or when the application is served with `--https-only`, so a browser never sends
the session cookie over plain HTTP.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: a host name or address with an optional port, as `Host` holds it
HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?$")


class ProxyListError(ValueError):
    """A --forwarded-allow-ips entry that is not an address or a network."""


def trusted_networks(spec: str | Iterable[str] | None) -> tuple[Network, ...] | None:
    """The proxies named by `spec` (comma-separated addresses or networks; "*": any peer, for
    an application only the proxy can reach); None trusts no proxy."""
    if spec is None:
        return None
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    items = [s for s in items if s]
    if "*" in items:
        return (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ProxyListError(
                f"--forwarded-allow-ips: {item!r} is not an IP address or network "
                "(e.g. 10.0.0.2 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in n for n in networks)


def _header(scope: Scope, name: bytes) -> str:
    values = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == name]
    return ",".join(values)


def forwarded_client(peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str | None:
    """The client address a trusted proxy `peer` forwarded, or None (peer not trusted, or no
    usable address in the header)."""
    if not _trusted(_address(peer), networks):
        return None
    hops = [h for h in (x.strip() for x in forwarded_for.split(",")) if h]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return None  # not an address: keep the peer rather than believe it
        if not _trusted(address, networks):
            return str(address)
    return str(_address(hops[0])) if hops else None


class TrustedProxies:
    """Rewrites the request's client address and scheme from a trusted proxy's headers."""

    def __init__(self, app: ASGIApp, networks: tuple[Network, ...] | None) -> None:
        self.app = app
        self.networks = networks or ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.networks and scope.get("client"):
            peer = scope["client"][0]
            if _trusted(_address(peer), self.networks):
                scope = dict(scope)
                client = forwarded_client(peer, _header(scope, b"x-forwarded-for"), self.networks)
                if client is not None:
                    scope["client"] = (client, 0)
                proto = _header(scope, b"x-forwarded-proto").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
                host = _header(scope, b"x-forwarded-host").split(",")[-1].strip()
                if host and HOST.match(host):  # the name the browser used (forms' Origin)
                    scope["headers"] = [
                        (k, v) for k, v in scope.get("headers") or [] if k.lower() != b"host"
                    ] + [(b"host", host.encode("latin-1"))]
        await self.app(scope, receive, send)


class SecureCookies:
    """Adds `Secure` to every Set-Cookie of a response to an HTTPS request (or of every
    response, with `always`)."""

    def __init__(self, app: ASGIApp, always: bool = False) -> None:
        self.app = app
        self.always = always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.always or scope.get("scheme") == "https"):
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for key, value in message.get("headers", []):
                    if key.lower() == b"set-cookie" and b"; secure" not in value.lower():
                        value += b"; secure"
                    headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, secured)
