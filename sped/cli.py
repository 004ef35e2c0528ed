"""The `sped` command: generate synthetic data, run the pipeline, list submissions.

Exit codes: 0 success (rejected district files are not failures), 1 the system failed (or,
for `sped validate`, the file would be rejected), 2 bad arguments or configuration (e.g. an
invalid state profile).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from pathlib import Path

from sped import settings
from sped.contracts import COLLECTIONS
from sped.profile import ProfileError, load_profile


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
        submitter=args.submitter or f"operator:{getpass.getuser()}",
        out=_print,
    )


def cmd_accounts(args: argparse.Namespace) -> int:
    from sped.landing.accounts import AccountError
    from sped.steps import open_registry

    if args.action != "list" and not args.name:
        raise ValueError(f"sped accounts {args.action} needs the account name")
    registry = open_registry(_installation(args, must_exist=args.action != "add"))
    try:
        if args.action == "add":
            made = registry.add_account(args.name, args.role, args.lea or (), args.display_name)
            print(f"added {made.role} account {made.account} " + " ".join(made.lea_ids))
        elif args.action == "disable":
            registry.disable_account(args.name)
            print(f"disabled {args.name}")
        else:
            rows = [
                {
                    "account": a.account,
                    "role": a.role,
                    "display_name": a.display_name,
                    "lea_ids": list(a.lea_ids),
                    "disabled": a.disabled,
                }
                for a in registry.list_accounts()
            ]
            if args.json:
                print(json.dumps(rows, indent=2))
            for r in [] if args.json else rows:
                state = " (disabled)" if r["disabled"] else ""
                print(f"{r['account']:<28}{r['role']:<10}{' '.join(r['lea_ids'])}{state}")
    except AccountError as exc:
        raise ValueError(str(exc)) from None
    finally:
        registry.close()
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sped",
        description="The state's IDEA Part B placement warehouse: receive and validate district "
        "files, load them into DuckDB, build the regulatory figures with dbt, publish.",
        epilog="Exit codes: 0 success (a rejected district file is not a failure), 1 the system "
        "failed (or `validate` found blocking errors), 2 bad arguments or configuration. "
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
        "which `dagster dev` shows.",
        cmd_pipeline,
    )
    pipe.add_argument(
        "--landing", help="landing directory whose new files to register first (optional)"
    )
    pipe.add_argument("--warehouse", help=WAREHOUSE_HELP)
    pipe.add_argument("--profile", help=PROFILE_HELP)
    pipe.add_argument("--as-of", help=AS_OF_HELP)
    pipe.add_argument(
        "--submitter", help="who is sending the landing folder's files (default operator:<user>)"
    )

    acc = _command(
        sub,
        "accounts",
        "the accounts that send files, and their LEAs",
        "list: every account; add NAME: create one (district accounts need --lea); disable "
        "NAME: stop an account from sending or signing in.",
        cmd_accounts,
    )
    acc.add_argument("action", choices=["list", "add", "disable"], help="what to do")
    acc.add_argument("name", nargs="?", help="account name (add, disable)")
    acc.add_argument(
        "--role",
        choices=["state", "district", "auditor"],
        default="district",
        help="what the account may do (default district)",
    )
    acc.add_argument("--lea", action="append", help="an LEA the account belongs to (repeatable)")
    acc.add_argument("--display-name", default="", help="the person's or office's name")
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
    sbm.add_argument(
        "--collection", required=True, choices=sorted(COLLECTIONS), help="what the file holds"
    )
    sbm.add_argument("--lea", help="the district the file is for (district collections)")
    sbm.add_argument("--period", required=True, help=PERIOD_HELP)
    sbm.add_argument("--warehouse", help=WAREHOUSE_HELP)

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
    val.add_argument(
        "--collection", required=True, choices=sorted(COLLECTIONS), help="what the file holds"
    )
    val.add_argument("--lea", help="the district the file is for")
    val.add_argument("--period", required=True, help=PERIOD_HELP)
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
        "the results as pages that open offline (reports/gx/ in the installation).",
        cmd_datadocs,
    )
    dd.add_argument("--warehouse", help=WAREHOUSE_HELP)
    dd.add_argument("--profile", help=PROFILE_HELP)
    dd.add_argument("--as-of", help=AS_OF_HELP)

    docs = _command(
        sub,
        "docs",
        "export the dbt documentation site as one HTML file",
        "Every model and column with the rule it implements, and the lineage graph "
        "(reports/dbt_docs/ in the installation).",
        cmd_docs,
    )
    docs.add_argument("--warehouse", help=WAREHOUSE_HELP)
    docs.add_argument("--profile", help=PROFILE_HELP)
    docs.add_argument("--as-of", help=AS_OF_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ProfileError as exc:
        print(f"sped: state profile: {exc}", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(main())
