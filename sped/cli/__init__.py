"""The `sped` command: generate synthetic data, run the pipeline, list submissions.

Exit codes: 0 success (rejected district files are not failures), 1 the system failed (or,
for `sped validate`, the file would be rejected; for `sped audit verify`, tampering or damage
was found), 2 bad arguments or configuration (e.g. an invalid state profile), 3 another run
holds the installation (`sped pipeline`, `backup`, `rebuild`; pass --wait to wait for it).

One module per command group (`setup`, `pipeline`, `operations`, `accounts`, `files`, `serve`,
`docs`), each with its handlers and an `add_commands(sub)` that adds its sub-commands; `common`
holds what they share.
"""

from __future__ import annotations

import argparse
import sys

from sped.cli import accounts, common, docs, files, operations, pipeline, serve, setup
from sped.federal.cli import add_parser as add_edfacts_parser
from sped.launch.exit_codes import EXIT_RUN_IN_PROGRESS, guarded

__all__ = ["EXIT_RUN_IN_PROGRESS", "build_parser", "common", "main", "run"]
#: The command groups, in the order `sped --help` lists their commands.
GROUPS = (setup, pipeline, operations, accounts, files, serve, docs)


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
    for group in GROUPS:
        group.add_commands(sub)
    add_edfacts_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    unknown = _unknown_command(parser, sys.argv[1:] if argv is None else argv)
    if unknown:
        print(f"sped: {unknown}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    return guarded(args.command, lambda: args.func(args))


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """One line for a command that does not exist, with the nearest one (`sped pipline`: did
    you mean pipeline?), or None (argparse reports every other mistake)."""
    import difflib

    if not argv or argv[0].startswith("-"):
        return None
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if argv[0] in sub.choices:
        return None
    near = difflib.get_close_matches(argv[0], list(sub.choices), n=1, cutoff=0.6)
    hint = f": did you mean {near[0]}?" if near else ""
    return f"no command {argv[0]!r}{hint} (`sped --help` lists the commands)"


def run() -> None:
    """The `sped` command's entry point: `main`, then the process ends at once
    (sped/process/process_exit.py)."""
    from sped.process.process_exit import exit_now

    exit_now(main())
