"""`sped init`: an installation created on purpose (every other command refuses a missing one)."""

from __future__ import annotations

import argparse

from sped.cli import common
from sped.config import settings
from sped.config.profile import load_profile


def cmd_init(args: argparse.Namespace) -> int:
    from sped.operations.initialise import initialise

    profile = load_profile(settings.profile_path(args.profile))  # a bad profile creates nothing
    inst = settings.installation(args.warehouse)
    if not initialise(inst):
        common.say(f"an installation is already at {inst.root}: nothing changed")
        return 0
    common.say(f"created the installation {inst.root} (state profile {profile.source})")
    common.say(
        f"next: sped pipeline --landing DIR --warehouse {inst.warehouse} "
        "(registers a landing folder's files and runs the pipeline)"
    )
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    ini = common.command(
        sub,
        "init",
        "create a new, empty installation",
        "Makes the installation's private folders, its registry and its Dagster instance, "
        "after checking the state profile. Every other command refuses an installation that "
        "does not exist (so a mistyped --warehouse creates nothing); `sped pipeline --create` "
        "also creates one.",
        cmd_init,
    )
    ini.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    ini.add_argument("--profile", help=common.PROFILE_HELP)
