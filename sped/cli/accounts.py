"""`sped accounts`: accounts, their LEAs, passwords and API tokens (state admins only)."""

from __future__ import annotations

import argparse
import json
import sys

from sped.cli import common


def cmd_accounts(args: argparse.Namespace) -> int:
    """Account changes are authorised by the operating-system user running the command: it must
    be bound to an active state account (on a new installation, the owner is bound at first use)."""
    from sped.landing.accounts import AccountError
    from sped.run.steps import open_registry

    if args.action != "list" and not args.name and not (args.action == "end-sessions" and args.all):
        raise ValueError(f"sped accounts {args.action} needs the account name")
    registry = open_registry(common.installation_for(args))
    try:
        if args.action == "list":
            return _list_accounts(registry, args.json)
        actor = registry.state_channel_account()
        if not actor.is_admin:
            raise AccountError(f"{actor.account} is not an admin: it may not manage accounts")
        who = f"{actor.account} (os user {actor.os_user})"
        if args.action == "add":
            password = common.stdin_secret("password") if args.password_stdin else None
            made = registry.add_account(
                args.name,
                args.role,
                args.lea or (),
                args.display_name,
                password=password,
                is_admin=args.admin,
                os_user=args.os_user,
                actor=who,
            )
            print(f"added {made.role} account {made.account} " + " ".join(made.lea_ids))
        elif args.action == "disable":
            registry.disable_account(args.name, actor=who)
            print(f"disabled {args.name} (its API tokens are revoked)")
        elif args.action == "password":
            if not args.password_stdin:
                raise ValueError("give the new password on standard input: --password-stdin")
            registry.set_password(args.name, common.stdin_secret("password"), actor=who)
            print(f"password of {args.name} changed")
        elif args.action == "end-sessions":  # sped/landing/sessions.py
            n = registry.end_sessions(args.name, actor=who, why="ended by an admin")
            print(f"ended {n} live web session(s) of {args.name or 'every account'}")
        elif args.revoke:
            print(f"revoked {registry.revoke_tokens(args.name, actor=who)} token(s) of {args.name}")
        else:
            token = registry.create_token(args.name, actor=who)
            print(token)
            print(
                f"(API token of {args.name}: shown this once; send it as "
                "'Authorization: Bearer <token>')",
                file=sys.stderr,
            )
    except AccountError as exc:
        raise ValueError(str(exc)) from None
    finally:
        registry.close()
    return 0


def _list_accounts(registry, as_json: bool) -> int:
    rows = [
        {
            "account": a.account,
            "role": a.role,
            "display_name": a.display_name,
            "lea_ids": list(a.lea_ids),
            "disabled": a.disabled,
            "admin": a.is_admin,
            "os_user": a.os_user,
        }
        for a in registry.list_accounts()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        flags = (" admin" if r["admin"] else "") + (
            f" os-user={r['os_user']}" if r["os_user"] else ""
        )
        state = " (disabled)" if r["disabled"] else ""
        print(f"{r['account']:<28}{r['role']:<10}{' '.join(r['lea_ids'])}{flags}{state}")
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    acc = common.command(
        sub,
        "accounts",
        "accounts, their LEAs, passwords and API tokens",
        "list: every account; add NAME: create one (district accounts need --lea); disable "
        "NAME: stop an account from sending or signing in; password NAME: set its password; "
        "token NAME: issue (or with --revoke, revoke) an API token; end-sessions NAME (or "
        "--all): sign the account (every account) out of the web application at once.",
        cmd_accounts,
    )
    acc.add_argument(
        "action",
        choices=["list", "add", "disable", "password", "token", "end-sessions"],
        help="what to do",
    )
    acc.add_argument("name", nargs="?", help="account name (all but list)")
    acc.add_argument(
        "--role",
        choices=["state", "district", "auditor"],
        default="district",
        help="what the account may do (default district)",
    )
    acc.add_argument("--lea", action="append", help="an LEA the account belongs to (repeatable)")
    acc.add_argument("--display-name", default="", help="the person's or office's name")
    acc.add_argument("--admin", action="store_true", help="add: may manage accounts")
    acc.add_argument("--os-user", help="add: bind a state account to an operating-system user")
    acc.add_argument(
        "--password-stdin", action="store_true", help="add/password: read it from stdin"
    )
    acc.add_argument("--revoke", action="store_true", help="token: revoke the account's tokens")
    acc.add_argument("--all", action="store_true", help="end-sessions: of every account")
    acc.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    acc.add_argument("--json", action="store_true", help="print JSON instead of a table")
