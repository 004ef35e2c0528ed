"""`sped submit`, `sped submissions`, `sped validate` and `sped annotate`: one file sent, listed,
checked or annotated."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sped.cli import common
from sped.config import settings
from sped.config.profile import load_profile
from sped.contracts import COLLECTIONS


def _submit_proof(registry, args: argparse.Namespace) -> str | None:
    """Why the person running `sped submit` has not proved they are `--account`, or None.
    State-channel labels are checked by the registry against the operating-system user."""
    from sped.landing.accounts import STATE_CHANNELS, current_os_user

    if args.account.startswith(STATE_CHANNELS):
        return None
    account = registry.account(args.account)
    if args.token_stdin:
        if account is None or registry.token_account(common.stdin_secret("token")) != account:
            return f"the token is not a live token of account {args.account!r}"
        return None
    if args.password_stdin:
        found, _why = registry.sign_in(
            args.account, common.stdin_secret("password"), source="sped submit"
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
    from sped.run.steps import open_registry

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
    registry = open_registry(common.installation_for(args))
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


def cmd_submissions(args: argparse.Namespace) -> int:
    from sped.reports.submissions import submission_rows, submissions_table

    inst = common.installation_for(args, must_exist=True)
    rows = submission_rows(inst)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(submissions_table(rows))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sped.validation.validate_file import check_file, render

    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    profile = load_profile(settings.profile_path(args.profile))
    as_of = settings.as_of_date(args.as_of)
    with _checking_installation(args.warehouse) as inst:
        findings, rows, had_dirs = check_file(
            path,
            args.collection,
            args.lea,
            args.period,
            inst=inst,
            profile=profile,
            as_of=as_of,
            gate="sql",  # a cold command: the rules' SQL, without starting GX (same findings)
        )
    print(render(path, findings, rows, had_dirs, collection=args.collection))
    return 1 if any(f.blocking for f in findings) else 0


@contextlib.contextmanager
def _checking_installation(warehouse: str | None) -> Iterator[settings.Installation]:
    """The installation whose directories `sped validate` checks against: the one named (it
    must exist), else the default one if it exists, else none: a private folder (0700) for the
    check's scratch, removed afterwards, and the directory rules reported as not checked."""
    if warehouse:
        yield common.require_installation(settings.installation(warehouse))
        return
    inst = settings.installation(None)
    if inst.registry.exists():
        yield inst
        return
    with tempfile.TemporaryDirectory(prefix="sped-validate-") as folder:
        yield settings.Installation(Path(folder) / "warehouse.duckdb")


def cmd_annotate(args: argparse.Namespace) -> int:
    from sped.reports.annotated import annotated_csv

    profile = load_profile(settings.profile_path(args.profile))
    as_of = settings.as_of_date(args.as_of)
    inst = common.installation_for(args, must_exist=True)
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


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    sbm = common.command(
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
    common.file_key_options(sbm)
    sbm.add_argument("--warehouse", help=common.WAREHOUSE_HELP)

    subs = common.command(
        sub,
        "submissions",
        "list every submission and its outcome",
        "One line per submission: collection, LEA, period, sender, received, outcome, rules "
        "failed, and whether it is in force.",
        cmd_submissions,
    )
    subs.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    subs.add_argument("--json", action="store_true", help="print JSON instead of a table")

    val = common.command(
        sub,
        "validate",
        "check one file as a district sees it (not registered)",
        "Runs the collection's rules on the file and prints what the district would be told; "
        "nothing is stored. Exit code 1 when the file would be rejected.",
        cmd_validate,
    )
    val.add_argument("file", help="the CSV or XLSX file to check")
    common.file_key_options(val)
    val.add_argument(
        "--warehouse",
        help="installation whose directories (LEAs, facilities, private schools) to check "
        "against (default: $SPED_WAREHOUSE or the demo's, if it exists; without one, the "
        "directory rules are listed as not checked)",
    )
    val.add_argument("--profile", help=common.PROFILE_HELP)
    val.add_argument("--as-of", help=common.AS_OF_HELP)

    ann = common.command(
        sub,
        "annotate",
        "a submission's rows with the errors found on each",
        "Writes the submission's own rows as CSV, each with its errors and warnings, for the "
        "district to correct and send again.",
        cmd_annotate,
    )
    ann.add_argument("submission", type=int, help="submission number (see `sped submissions`)")
    ann.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    ann.add_argument("--out", help="CSV file to write (default: standard output)")
    ann.add_argument("--profile", help=common.PROFILE_HELP)
    ann.add_argument("--as-of", help=common.AS_OF_HELP)
