"""`sped audit`, `sped backup` and `sped restore`: an installation checked, copied and restored."""

from __future__ import annotations

import argparse
from pathlib import Path

from sped.cli import common
from sped.config import settings


def cmd_audit(args: argparse.Namespace) -> int:
    from sped.operations.audit import verify

    inst = common.installation_for(args)
    problems = verify(inst, [Path(b) for b in args.backup or ()])
    if not problems:
        print(f"audit trail and stored files of {inst.root} are intact")
        return 0
    print(f"TAMPERING OR DAMAGE FOUND in {inst.root}: {len(problems)} problem(s); first: ")
    for problem in problems[: args.limit]:
        print(f"  {problem}")
    if len(problems) > args.limit:
        print(f"  ... and {len(problems) - args.limit} more")
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    from sped.operations.backup import backup

    backup(common.installation_for(args), Path(args.to), wait=args.wait, out=common.say)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from sped.operations.backup import restore

    restore(Path(getattr(args, "from")), settings.installation(args.warehouse), out=common.say)
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    aud = common.command(
        sub,
        "audit",
        "check the audit trail and stored files for tampering",
        "verify: re-checks the hash chain of the registry's audit trail (and the accounts, "
        "findings, counts and receipts it records), the checksum of every stored file, the "
        "raw rows per submission and the published tables, and lists what does not match; "
        "changes nothing.",
        cmd_audit,
    )
    aud.add_argument(
        "action", choices=["verify"], help="verify: check and report (changes nothing)"
    )
    aud.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    aud.add_argument("--limit", type=int, default=20, help="problems to list (default 20)")
    aud.add_argument(
        "--backup",
        action="append",
        help="a backup directory whose recorded end of the trail must still be in it "
        "(catches a trail rewritten with fresh hashes; repeatable)",
    )

    bak = common.command(
        sub,
        "backup",
        "a consistent copy of an installation, with a manifest",
        "Copies the warehouse, registry, stored files and published snapshot while no run "
        "writes, with a manifest of checksums that `sped restore` checks.",
        cmd_backup,
    )
    bak.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    bak.add_argument("--to", required=True, help="backup directory (new or empty)")
    bak.add_argument(
        "--wait", action="store_true", help="wait for a run in progress instead of exiting with 3"
    )

    rst = common.command(
        sub,
        "restore",
        "restore a backup into an empty installation",
        "Checks the backup against its manifest and copies it into a new installation.",
        cmd_restore,
    )
    rst.add_argument("--from", required=True, help="backup directory (written by sped backup)")
    rst.add_argument(
        "--warehouse", required=True, help="warehouse file of the new (empty) installation"
    )
