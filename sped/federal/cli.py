"""`sped edfacts FS002|FS089 --warehouse W --school-year YYYY-YY --level SEA|LEA [--out FILE]
[--force]`: write one EDFacts child-count file from the published warehouse, after the
federal edit checks (docs/federal_files.md). The state's command: it runs on the state's own
installation, and the counts are never suppressed.

Exit codes: 0 written; 1 an edit check failed and nothing was written (or written with
--force: 0); 2 refused (bad arguments, a year without the federal columns).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sped.config import settings
from sped.config.profile import load_profile
from sped.federal import specs
from sped.landing.layout import valid_school_year


def add_parser(sub) -> argparse.ArgumentParser:
    """The `edfacts` sub-command on the `sped` parser's sub-parsers."""
    cmd = sub.add_parser(
        "edfacts",
        help="write an EDFacts child-count file (FS002 or FS089) after the edit checks",
        description=(
            "Write an EDFacts child-count file (FS002 school age, FS089 early childhood) in "
            "the flat (non-XML) format from the published warehouse. The federal edit checks "
            "run first and their failures are listed; the file is written only when they all "
            "pass, or with --force. A year whose rosters lack race/ethnicity, sex or "
            "English-learner status is refused, naming the LEAs. Counts are never suppressed."
        ),
    )
    cmd.add_argument("file_spec", metavar="FS002|FS089", help="the file specification")
    cmd.add_argument("--warehouse", help="the installation's warehouse.duckdb")
    cmd.add_argument("--school-year", required=True, help="the school year, e.g. 2025-26")
    cmd.add_argument("--level", required=True, choices=specs.LEVELS, help="SEA or LEA file")
    cmd.add_argument("--out", help="file to write (default: the EDFacts file name, here)")
    cmd.add_argument("--force", action="store_true", help="write even if an edit check failed")
    cmd.add_argument("--profile", help="state profile YAML (default: the shipped one)")
    cmd.set_defaults(func=run)
    return cmd


def run(args: argparse.Namespace) -> int:
    from sped.federal import files  # duckdb: imported by this command only

    spec = specs.get(args.file_spec)
    if not valid_school_year(args.school_year):
        raise ValueError(
            f"--school-year must be a school year like 2025-26, got {args.school_year!r}"
        )
    profile = load_profile(settings.profile_path(args.profile))
    inst = settings.installation(args.warehouse)
    warehouse = inst.published_warehouse
    if not warehouse.exists():
        raise ValueError(f"no published warehouse at {warehouse}: run `sped pipeline` first")
    name = files.file_name(spec, args.level, profile.state_code)
    out = Path(args.out) if args.out else Path(name)
    try:
        outcome = files.produce(
            warehouse,
            spec,
            args.school_year,
            args.level,
            profile.state_code,
            profile.state_fips,
            out,
            force=args.force,
        )
    except files.Refused as exc:
        print(f"sped edfacts: refused: {exc}", file=sys.stderr)
        return 2
    for check in outcome.checks:
        print(f"{'passed' if check.passed else 'FAILED'}  {check.name}: {check.description}")
        if not check.passed:
            print(f"        {check.failures} record(s) break it; the first:")
            print("        " + ", ".join(check.columns))
            for row in check.sample:
                print("        " + ", ".join("" if v is None else str(v) for v in row))
    if outcome.written is None:
        print(
            f"sped edfacts: {len(outcome.failed)} edit check(s) failed: {spec.code} not written "
            "(correct the data, or pass --force to write it anyway)",
            file=sys.stderr,
        )
        return 1
    forced = " despite failed edit checks (--force)" if outcome.failed else ""
    print(f"wrote {outcome.written}: {spec.code} {args.level} {args.school_year}, "
          f"{outcome.records} records{forced}")  # fmt: skip
    return 0
