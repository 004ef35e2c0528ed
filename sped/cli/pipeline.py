"""`sped generate`, `sped pipeline` and `sped rebuild`: synthetic files, a run, a fresh
warehouse."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sped.cli import common
from sped.config import settings
from sped.config.profile import load_profile


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
        progress=lambda m: common.say(f"  {m}"),
        calibration_file=Path(args.calibration) if args.calibration else None,
    )
    common.say(f"generated {args.scale} state in {time.perf_counter() - clock:.1f} s -> {args.out}")
    common.say(str(summary))
    return 0


#: The run's log file in the installation: what GX, Dagster and dbt log, kept off the terminal.
RUN_LOG = Path("logs") / "pipeline.log"


def cmd_pipeline(args: argparse.Namespace) -> int:
    from sped.launch.pipeline_run import run_pipeline
    from sped.operations.initialise import initialise
    from sped.process import library_logs

    # Every argument is checked before anything is created.
    if args.landing and not Path(args.landing).is_dir():
        raise ValueError(f"landing directory {args.landing} does not exist")
    load_profile(settings.profile_path(args.profile))
    settings.as_of_date(args.as_of)
    inst = settings.installation(args.warehouse)
    if args.create:
        initialise(inst)
    else:  # only on purpose: a mistyped --warehouse creates nothing
        common.require_installation(inst)
    with library_logs.to_file(inst.root / RUN_LOG) as log:
        code = run_pipeline(
            landing=Path(args.landing) if args.landing else None,
            warehouse=args.warehouse,
            profile=args.profile,
            as_of=args.as_of,
            submitter=args.submitter or f"operator:{common.os_user()}",
            out=common.say,
            wait=args.wait,
            changed_only=args.changed_only,
            allow_empty=args.allow_empty,
        )
    common.say(f"the libraries' log (GX, Dagster, dbt): {log}")
    return code


def cmd_rebuild(args: argparse.Namespace) -> int:
    from sped.operations.rebuild import rebuild

    rebuild(
        common.installation_for(args),
        profile_file=settings.profile_path(args.profile),
        as_of=settings.as_of_date(args.as_of),
        wait=args.wait,
        out=common.say,
    )
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    gen = common.command(
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
    gen.add_argument("--profile", help=common.PROFILE_HELP)
    gen.add_argument(
        "--calibration",
        help="the state's calibration, written by `sped calibrate` (default: the one shipped "
        "for the profile's state; Massachusetts is shipped)",
    )

    pipe = common.command(
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
    common.installation_options(pipe)
    pipe.add_argument(
        "--create",
        action="store_true",
        help="create the installation if it does not exist (as `sped init` does); without "
        "it, a missing installation is an error",
    )
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
    pipe.add_argument(
        "--allow-empty",
        action="store_true",
        help="let this run remove every row of a collection the registry has nothing in force of",
    )

    reb = common.command(
        sub,
        "rebuild",
        "rebuild every raw table and mart from the stored files in force",
        "The warehouse is derived data: it is rebuilt from the registry and the stored files "
        "(the submissions in force), then dbt builds every mart.",
        cmd_rebuild,
    )
    common.installation_options(reb)
    reb.add_argument(
        "--wait", action="store_true", help="wait for a run in progress instead of exiting with 3"
    )
