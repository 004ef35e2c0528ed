"""`sped init` and `sped calibrate`: an installation created on purpose (every other command
refuses a missing one), and another state's generator calibration (docs/another-state.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

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


def cmd_calibrate(args: argparse.Namespace) -> int:
    import json

    from sped.generate.calibration import bundle

    out = Path(args.out)
    if out.exists() and not args.force:
        raise ValueError(f"{out} exists: choose another --out, or --force to replace it")
    doc = bundle(args.state.upper())
    out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    schools = doc["private_schools_csv"].count("\n") - 1
    common.say(
        f"calibration of {doc['state']} (federal 618 child count, LEA sizes, {schools} private "
        f"schools) -> {out}; next: sped generate --profile YOUR_PROFILE --calibration {out}"
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

    cal = common.command(
        sub,
        "calibrate",
        "derive a state's generator calibration from the public files shipped",
        "Reads the federal 618 child count and educational environments, the LEA sizes and the "
        "NCES private-school list for the state (sped/reference/public/, with their "
        "provenance) and writes them as one JSON file for `sped generate --calibration`. "
        "Writes only --out (never into the source tree). See docs/another-state.md.",
        cmd_calibrate,
    )
    cal.add_argument("state", help="USPS code of the state (e.g. CT)")
    cal.add_argument("--out", required=True, help="the JSON file to write")
    cal.add_argument("--force", action="store_true", help="replace --out if it exists")
