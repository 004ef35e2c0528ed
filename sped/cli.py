"""The `sped` command: generate synthetic data, run the pipeline, list submissions.

Exit codes: 0 success (rejected district files are not failures), 1 the system failed (or,
for `sped validate`, the file would be rejected; for `sped audit verify`, tampering or damage
was found), 2 bad arguments or configuration (e.g. an invalid state profile), 3 another run
holds the installation (`sped pipeline`, `backup`, `rebuild`; pass --wait to wait for it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from sped import settings
from sped.contracts import COLLECTIONS
from sped.profile import ProfileError, load_profile
from sped.run_lock import RunInProgress

#: Exit code when another run holds the installation's run lock.
EXIT_RUN_IN_PROGRESS = 3


def _print(msg: str) -> None:
    print(msg, flush=True)


def _installation(args: argparse.Namespace, *, must_exist: bool) -> settings.Installation:
    """The installation a command works on. Without --warehouse, say which one was opened
    (on standard error, so piped output stays clean); a command that only reads refuses an
    installation that does not exist rather than creating an empty one."""
    inst = settings.installation(args.warehouse)
    if not args.warehouse:
        print(f"sped: installation {inst.root}", file=sys.stderr)
    if must_exist and not inst.registry.exists():
        raise ValueError(
            f"no installation at {inst.root} (no registry.sqlite): run `sped pipeline` first, "
            "or name one with --warehouse"
        )
    return inst


def cmd_generate(args: argparse.Namespace) -> int:
    from sped.generate import generate

    profile = load_profile(settings.profile_path(args.profile))
    clock = time.perf_counter()
    summary = generate(
        Path(args.out),
        scale=args.scale,
        years=args.years,
        seed=args.seed,
        profile=profile,
        through=args.through,
        progress=lambda m: _print(f"  {m}"),
    )
    _print(f"generated {args.scale} state in {time.perf_counter() - clock:.1f} s -> {args.out}")
    _print(str(summary))
    return 0


def cmd_pipeline(args: argparse.Namespace) -> int:
    from sped.pipeline_run import run_pipeline

    # Every argument is checked before anything is created.
    if args.landing and not Path(args.landing).is_dir():
        raise ValueError(f"landing directory {args.landing} does not exist")
    load_profile(settings.profile_path(args.profile))
    settings.as_of_date(args.as_of)
    return run_pipeline(
        landing=Path(args.landing) if args.landing else None,
        warehouse=args.warehouse,
        profile=args.profile,
        as_of=args.as_of,
        submitter=args.submitter or f"operator:{_os_user()}",
        out=_print,
        wait=args.wait,
        changed_only=args.changed_only,
    )


def _os_user() -> str:
    from sped.landing.accounts import current_os_user

    return current_os_user()


def _stdin_secret(what: str) -> str:
    """One line from standard input (a password or a token), without its line end."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ValueError(f"no {what} on standard input")
    return line


def cmd_audit(args: argparse.Namespace) -> int:
    from sped.audit import verify

    inst = settings.installation(args.warehouse)
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
    from sped.backup import backup

    backup(settings.installation(args.warehouse), Path(args.to), wait=args.wait, out=_print)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from sped.backup import restore

    restore(Path(getattr(args, "from")), settings.installation(args.warehouse), out=_print)
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from sped.rebuild import rebuild

    rebuild(
        settings.installation(args.warehouse),
        profile_file=settings.profile_path(args.profile),
        as_of=settings.as_of_date(args.as_of),
        wait=args.wait,
        out=_print,
    )
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    """Account changes are authorised by the operating-system user running the command: it must
    be bound to an active state account (on a new installation, the owner is bound at first use)."""
    from sped.landing.accounts import AccountError
    from sped.steps import open_registry

    if args.action != "list" and not args.name:
        raise ValueError(f"sped accounts {args.action} needs the account name")
    registry = open_registry(_installation(args, must_exist=args.action != "add"))
    try:
        if args.action == "list":
            return _list_accounts(registry, args.json)
        actor = registry.state_channel_account()
        if not actor.is_admin:
            raise AccountError(f"{actor.account} is not an admin: it may not manage accounts")
        who = f"{actor.account} (os user {actor.os_user})"
        if args.action == "add":
            password = _stdin_secret("password") if args.password_stdin else None
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
            registry.set_password(args.name, _stdin_secret("password"), actor=who)
            print(f"password of {args.name} changed")
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


def _submit_proof(registry, args: argparse.Namespace) -> str | None:
    """Why the person running `sped submit` has not proved they are `--account`, or None.
    State-channel labels are checked by the registry against the operating-system user."""
    from sped.landing.accounts import STATE_CHANNELS, current_os_user

    if args.account.startswith(STATE_CHANNELS):
        return None
    account = registry.account(args.account)
    if args.token_stdin:
        if account is None or registry.token_account(_stdin_secret("token")) != account:
            return f"the token is not a live token of account {args.account!r}"
        return None
    if args.password_stdin:
        found, _why = registry.sign_in(
            args.account, _stdin_secret("password"), source="sped submit"
        )
        return None if found else f"could not sign in as {args.account!r}"
    if account is not None and account.os_user and account.os_user == current_os_user():
        return None
    return (
        f"prove you are {args.account!r}: --password-stdin or --token-stdin (or run as the "
        "operating-system user the state account is bound to)"
    )


def cmd_submit(args: argparse.Namespace) -> int:
    from sped.landing.layout import DeclaredKey, LayoutError, check_period
    from sped.steps import open_registry

    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ValueError(f"{path.name}: only .csv and .xlsx files are accepted")
    contract = COLLECTIONS[args.collection]
    if contract.lea_scoped != bool(args.lea):
        how = "for one LEA: give --lea" if contract.lea_scoped else "by the state: omit --lea"
        raise ValueError(f"{args.collection} is sent {how}")
    try:
        check_period(args.collection, args.period)
    except LayoutError as exc:
        raise ValueError(str(exc)) from None
    registry = open_registry(_installation(args, must_exist=False))
    try:
        unproved = _submit_proof(registry, args)
        if unproved:
            print(f"refused: {unproved}. Nothing was stored.")
            return 1
        receipt = registry.receive(
            path.read_bytes(),
            DeclaredKey(args.collection, args.lea or None, args.period),
            original_name=path.name,
            submitter=args.account,
        )
    finally:
        registry.close()
    if receipt.outcome == "refused":
        print(f"refused: {receipt.detail}. The file is kept ({receipt.sha256[:12]}).")
        return 1
    if receipt.outcome == "duplicate":
        print(f"already received: {receipt.detail}")
    else:
        print(
            f"received as submission {receipt.submission_id}; it is validated and, if it "
            "passes, loaded by the next `sped pipeline` run"
        )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web application with uvicorn (a production ASGI server)."""
    import uvicorn

    from sped.web.app import create_app

    inst = settings.installation(args.warehouse)
    if not inst.registry.exists():
        raise ValueError(f"no installation at {inst.root}: run `sped pipeline` first")
    app = create_app(
        inst,
        settings.profile_path(args.profile),
        as_of=args.as_of,
        start_pipeline=not args.no_pipeline_runs,
    )
    print(f"sped web application: http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,  # paths never hold student ids, but the log stays quiet anyway
        proxy_headers=False,
        server_header=False,
    )
    return 0


def cmd_submissions(args: argparse.Namespace) -> int:
    from sped.reports.submissions import submission_rows, submissions_table

    inst = _installation(args, must_exist=True)
    rows = submission_rows(inst)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(submissions_table(rows))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sped.validate_file import check_file, render

    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    findings, rows, had_dirs = check_file(
        path,
        args.collection,
        args.lea,
        args.period,
        inst=settings.installation(args.warehouse),
        profile=load_profile(settings.profile_path(args.profile)),
        as_of=settings.as_of_date(args.as_of),
        gate="sql",  # a cold command: the rules' SQL, without starting GX (same findings)
    )
    print(render(path, findings, rows, had_dirs))
    return 1 if any(f.blocking for f in findings) else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from sped.reports.dbt_docs import export_docs

    profile = load_profile(settings.profile_path(args.profile))
    inst = _installation(args, must_exist=True)
    path = export_docs(inst, profile.dbt_vars(settings.as_of_date(args.as_of)))
    print(f"dbt documentation: {path}")
    return 0


def cmd_annotate(args: argparse.Namespace) -> int:
    from sped.reports.annotated import annotated_csv

    profile = load_profile(settings.profile_path(args.profile))
    as_of = settings.as_of_date(args.as_of)
    inst = _installation(args, must_exist=True)
    text = annotated_csv(
        inst,
        args.submission,
        profile,
        as_of,
    )
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"annotated rows of submission {args.submission}: {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_datadocs(args: argparse.Namespace) -> int:
    from sped.reports.data_docs import build_data_docs

    profile = load_profile(settings.profile_path(args.profile))
    as_of = settings.as_of_date(args.as_of)
    inst = _installation(args, must_exist=True)
    path = build_data_docs(inst, profile, as_of)
    print(f"validation results (open offline): {path}")
    return 0


WAREHOUSE_HELP = (
    "the installation's warehouse file; the registry, stored files, published snapshot and "
    "reports live beside it (default: $SPED_WAREHOUSE, else the demo's "
    f"{settings.DEFAULT_WAREHOUSE.relative_to(settings.REPO_ROOT)})"
)
PROFILE_HELP = "state profile YAML (default: $SPED_PROFILE, else config/state_profile.yaml)"
AS_OF_HELP = "judge due dates and statuses as of this date, YYYY-MM-DD (default: today)"
PERIOD_HELP = "the school year (e.g. 2025-26) or, for expenditures and allocations, the fiscal year"


def _command(sub, name: str, summary: str, details: str, func) -> argparse.ArgumentParser:
    """A sub-command with a one-line summary (in `sped --help`) and a description."""
    cmd = sub.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}. {details}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.set_defaults(func=func)
    return cmd


def _installation_options(command: argparse.ArgumentParser) -> None:
    """--warehouse, --profile and --as-of: which installation, with which state profile, judged
    as of which date."""
    command.add_argument("--warehouse", help=WAREHOUSE_HELP)
    command.add_argument("--profile", help=PROFILE_HELP)
    command.add_argument("--as-of", help=AS_OF_HELP)


def _file_key_options(command: argparse.ArgumentParser) -> None:
    """--collection, --lea and --period: what one file is declared to be."""
    command.add_argument(
        "--collection", required=True, choices=sorted(COLLECTIONS), help="what the file holds"
    )
    command.add_argument("--lea", help="the district the file is for (district collections)")
    command.add_argument("--period", required=True, help=PERIOD_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sped",
        description="The state's IDEA Part B placement warehouse: receive and validate district "
        "files, load them into DuckDB, build the regulatory figures with dbt, publish.",
        epilog="Exit codes: 0 success (a rejected district file is not a failure), 1 the system "
        "failed (or `validate` found blocking errors, `audit verify` found tampering), 2 bad "
        "arguments or configuration, 3 another run holds the installation. "
        "`sped COMMAND --help` describes each command. The rules: docs/rules/.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = _command(
        sub,
        "generate",
        "write a synthetic state's files in the landing layout",
        "Directories, allocations and every district collection for each school year, with "
        "realistic defects; the same seed gives the same bytes.",
        cmd_generate,
    )
    gen.add_argument(
        "--scale",
        choices=["small", "state", "large"],
        default="small",
        help="small: 20 LEAs, about 6,000 students a year; state: about 400 LEAs and 170,000 "
        "students; large: several times the state (default small)",
    )
    gen.add_argument("--years", type=int, default=1, help="school years to write (default 1)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--through", default="2025-26", help="last school year (default 2025-26)")
    gen.add_argument("--out", required=True, help="landing directory to write (created)")
    gen.add_argument("--profile", help=PROFILE_HELP)

    pipe = _command(
        sub,
        "pipeline",
        "register files and run validate, load, build, publish",
        "Registers every new file of the landing folder (if given), validates each pending "
        "submission, loads what passes, rebuilds the marts with dbt and publishes a snapshot. "
        "The run is recorded in the installation's Dagster instance (<installation>/dagster), "
        "which `dagster dev` shows. One run at a time per installation (exit code 3 otherwise).",
        cmd_pipeline,
    )
    pipe.add_argument(
        "--landing", help="landing directory whose new files to register first (optional)"
    )
    _installation_options(pipe)
    pipe.add_argument(
        "--submitter", help="who is sending the landing folder's files (default operator:<user>)"
    )
    pipe.add_argument(
        "--wait",
        action="store_true",
        help="if another run holds the installation, wait for it instead of exiting with 3",
    )
    pipe.add_argument(
        "--changed-only",
        action="store_true",
        help="visit only the collections with pending files or changed inputs, and those "
        "reading them (the portal's runs); by default every collection is visited and its "
        "stored files re-checked",
    )

    aud = _command(
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
    aud.add_argument("--warehouse", help=WAREHOUSE_HELP)
    aud.add_argument("--limit", type=int, default=20, help="problems to list (default 20)")
    aud.add_argument(
        "--backup",
        action="append",
        help="a backup directory whose recorded end of the trail must still be in it "
        "(catches a trail rewritten with fresh hashes; repeatable)",
    )

    bak = _command(
        sub,
        "backup",
        "a consistent copy of an installation, with a manifest",
        "Copies the warehouse, registry, stored files and published snapshot while no run "
        "writes, with a manifest of checksums that `sped restore` checks.",
        cmd_backup,
    )
    bak.add_argument("--warehouse", help=WAREHOUSE_HELP)
    bak.add_argument("--to", required=True, help="backup directory (new or empty)")
    bak.add_argument(
        "--wait", action="store_true", help="wait for a run in progress instead of exiting with 3"
    )

    rst = _command(
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

    reb = _command(
        sub,
        "rebuild",
        "rebuild every raw table and mart from the stored files in force",
        "The warehouse is derived data: it is rebuilt from the registry and the stored files "
        "(the submissions in force), then dbt builds every mart.",
        cmd_rebuild,
    )
    _installation_options(reb)
    reb.add_argument(
        "--wait", action="store_true", help="wait for a run in progress instead of exiting with 3"
    )

    acc = _command(
        sub,
        "accounts",
        "accounts, their LEAs, passwords and API tokens",
        "list: every account; add NAME: create one (district accounts need --lea); disable "
        "NAME: stop an account from sending or signing in; password NAME: set its password; "
        "token NAME: issue (or with --revoke, revoke) an API token.",
        cmd_accounts,
    )
    acc.add_argument(
        "action", choices=["list", "add", "disable", "password", "token"], help="what to do"
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
    acc.add_argument("--warehouse", help=WAREHOUSE_HELP)
    acc.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sbm = _command(
        sub,
        "submit",
        "send one file as an account (validated by the next run)",
        "The file is stored unchanged and registered as a submission for the collection, LEA "
        "and period given; a district account may send only for its own LEAs.",
        cmd_submit,
    )
    sbm.add_argument("file", help="the CSV or XLSX file to send")
    sbm.add_argument("--account", required=True, help="the account sending the file")
    proof = sbm.add_mutually_exclusive_group()
    proof.add_argument(
        "--password-stdin", action="store_true", help="read the account's password from stdin"
    )
    proof.add_argument(
        "--token-stdin", action="store_true", help="read an API token of the account from stdin"
    )
    _file_key_options(sbm)
    sbm.add_argument("--warehouse", help=WAREHOUSE_HELP)

    srv = _command(
        sub,
        "serve",
        "serve the web application (uvicorn)",
        "The portal where districts send files and read their messages, and where the state "
        "team and auditors read submissions and figures. Listens on 127.0.0.1 by default.",
        cmd_serve,
    )
    srv.add_argument("--warehouse", help=WAREHOUSE_HELP)
    srv.add_argument("--profile", help=PROFILE_HELP)
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    srv.add_argument("--as-of", help="judge uploads and figures as of this date (default today)")
    srv.add_argument(
        "--no-pipeline-runs",
        action="store_true",
        help="do not start a pipeline run after an accepted upload (an operator or the "
        "schedule loads it)",
    )

    subs = _command(
        sub,
        "submissions",
        "list every submission and its outcome",
        "One line per submission: collection, LEA, period, sender, received, outcome, rules "
        "failed, and whether it is in force.",
        cmd_submissions,
    )
    subs.add_argument("--warehouse", help=WAREHOUSE_HELP)
    subs.add_argument("--json", action="store_true", help="print JSON instead of a table")

    val = _command(
        sub,
        "validate",
        "check one file as a district sees it (not registered)",
        "Runs the collection's rules on the file and prints what the district would be told; "
        "nothing is stored. Exit code 1 when the file would be rejected.",
        cmd_validate,
    )
    val.add_argument("file", help="the CSV or XLSX file to check")
    _file_key_options(val)
    val.add_argument(
        "--warehouse", help="installation whose directories (LEAs, facilities) to check against"
    )
    val.add_argument("--profile", help=PROFILE_HELP)
    val.add_argument("--as-of", help=AS_OF_HELP)

    ann = _command(
        sub,
        "annotate",
        "a submission's rows with the errors found on each",
        "Writes the submission's own rows as CSV, each with its errors and warnings, for the "
        "district to correct and send again.",
        cmd_annotate,
    )
    ann.add_argument("submission", type=int, help="submission number (see `sped submissions`)")
    ann.add_argument("--warehouse", help=WAREHOUSE_HELP)
    ann.add_argument("--out", help="CSV file to write (default: standard output)")
    ann.add_argument("--profile", help=PROFILE_HELP)
    ann.add_argument("--as-of", help=AS_OF_HELP)

    dd = _command(
        sub,
        "datadocs",
        "validation results of the data in force as a static site",
        "Runs every collection's Great Expectations suite over the rows in force and writes "
        "the results as pages that open offline (reports/validation/ in the installation).",
        cmd_datadocs,
    )
    _installation_options(dd)

    docs = _command(
        sub,
        "docs",
        "export the dbt documentation site as one HTML file",
        "Every model and column with the rule it implements, and the lineage graph "
        "(reports/dbt_docs/ in the installation).",
        cmd_docs,
    )
    _installation_options(docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ProfileError as exc:
        print(f"sped: state profile: {exc}", file=sys.stderr)
        return 2
    except RunInProgress as exc:
        print(f"sped: {exc}", file=sys.stderr)
        return EXIT_RUN_IN_PROGRESS
    except (ValueError, KeyError, FileNotFoundError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"sped: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sped: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("SPED_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"sped: {args.command} failed: {type(exc).__name__}: {first[:300]} "
            "(set SPED_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    """The `sped` command's entry point: `main`, then the process ends at once
    (sped/process_exit.py)."""
    from sped.process_exit import exit_now

    exit_now(main())


if __name__ == "__main__":
    run()
