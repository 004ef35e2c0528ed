"""The `sped serve` options that say how the application is reached: over HTTPS only, and
through which reverse proxies (sped/web/proxies.py)."""

from __future__ import annotations

import argparse


def add_trust_options(command: argparse.ArgumentParser) -> None:
    """--https-only and --forwarded-allow-ips."""
    command.add_argument(
        "--https-only",
        action="store_true",
        help="the application is reached only over HTTPS (e.g. through a proxy that ends TLS): "
        "the session cookie is always marked Secure (it is Secure on HTTPS requests anyway)",
    )
    command.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto headers are believed (client address for "
        "sign-in limits and the audit trail, HTTPS for the cookie); from any other peer they "
        "are ignored. Default: none",
    )
