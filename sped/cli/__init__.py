"""The `sped` command: generate synthetic data, run the pipeline, list submissions.

Exit codes: 0 success (rejected district files are not failures), 1 the system failed (or,
for `sped validate`, the file would be rejected; for `sped audit verify`, tampering or damage
was found), 2 bad arguments or configuration (e.g. an invalid state profile), 3 another run
holds the installation (`sped pipeline`, `backup`, `rebuild`; pass --wait to wait for it).

One module per command group (`pipeline`, `operations`, `accounts`, `files`, `serve`, `docs`),
each with its handlers and an `add_commands(sub)` that adds its sub-commands; `common` holds what
they share.
"""

from __future__ import annotations

import argparse

from sped.cli import accounts, common, docs, files, operations, pipeline, serve
from sped.launch.exit_codes import EXIT_RUN_IN_PROGRESS, guarded

__all__ = ["EXIT_RUN_IN_PROGRESS", "build_parser", "common", "main", "run"]
#: The command groups, in the order `sped --help` lists their commands.
GROUPS = (pipeline, operations, accounts, files, serve, docs)


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded(args.command, lambda: args.func(args))


def run() -> None:
    """The `sped` command's entry point: `main`, then the process ends at once
    (sped/process/process_exit.py)."""
    from sped.process.process_exit import exit_now

    exit_now(main())
