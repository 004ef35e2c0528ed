"""What every `sped` command shares: how it prints, which installation it works on, reading a
secret from standard input, and the options and help texts several commands take."""

from __future__ import annotations

import argparse
import sys

from sped.config import settings
from sped.contracts import COLLECTIONS


def say(msg: str) -> None:
    """A command's progress and result line (tests replace it to capture a run's lines)."""
    print(msg, flush=True)


def installation_for(args: argparse.Namespace, *, must_exist: bool = True) -> settings.Installation:
    """The installation a command works on. Without --warehouse, say which one was opened
    (on standard error, so piped output stays clean). It must exist: only `sped init` (and
    `sped pipeline --create`) create one, so a mistyped path creates nothing."""
    inst = settings.installation(args.warehouse)
    if not args.warehouse:
        print(f"sped: installation {inst.root}", file=sys.stderr)
    if must_exist:
        require_installation(inst)
    return inst


def require_installation(inst: settings.Installation) -> settings.Installation:
    """`inst`, or a one-line error naming its path and the command that creates it (or, for an
    installation that lost its registry, saying to restore it: sped/landing/registry_guard.py)."""
    from sped.landing import registry_guard
    from sped.operations.initialise import exists

    registry_guard.check(inst)
    if not exists(inst):
        raise ValueError(
            f"no installation at {inst.root}: `sped init --warehouse {inst.warehouse}` "
            "creates one (or check the --warehouse path)"
        )
    return inst


def os_user() -> str:
    from sped.landing.accounts import current_os_user

    return current_os_user()


def stdin_secret(what: str) -> str:
    """One line from standard input (a password or a token), without its line end."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ValueError(f"no {what} on standard input")
    return line


WAREHOUSE_HELP = (
    "the installation's warehouse file; the registry, stored files, published snapshot and "
    "reports live beside it (default: $SPED_WAREHOUSE, else the demo's "
    f"{settings.DEFAULT_WAREHOUSE.relative_to(settings.REPO_ROOT)})"
)
PROFILE_HELP = "state profile YAML (default: $SPED_PROFILE, else config/state_profile.yaml)"
AS_OF_HELP = "judge due dates and statuses as of this date, YYYY-MM-DD (default: today)"
PERIOD_HELP = "the school year (e.g. 2025-26) or, for expenditures and allocations, the fiscal year"


def command(sub, name: str, summary: str, details: str, func) -> argparse.ArgumentParser:
    """A sub-command with a one-line summary (in `sped --help`) and a description."""
    cmd = sub.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}. {details}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.set_defaults(func=func)
    return cmd


def installation_options(command: argparse.ArgumentParser) -> None:
    """--warehouse, --profile and --as-of: which installation, with which state profile, judged
    as of which date."""
    command.add_argument("--warehouse", help=WAREHOUSE_HELP)
    command.add_argument("--profile", help=PROFILE_HELP)
    command.add_argument("--as-of", help=AS_OF_HELP)


def file_key_options(command: argparse.ArgumentParser) -> None:
    """--collection, --lea and --period: what one file is declared to be."""
    command.add_argument(
        "--collection", required=True, choices=sorted(COLLECTIONS), help="what the file holds"
    )
    command.add_argument("--lea", help="the district the file is for (district collections)")
    command.add_argument("--period", required=True, help=PERIOD_HELP)
