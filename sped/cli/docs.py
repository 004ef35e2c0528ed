"""`sped datadocs` and `sped docs`: the validation results and the dbt documentation, as pages
that open offline."""

from __future__ import annotations

import argparse

from sped.cli import common
from sped.config import settings
from sped.config.profile import load_profile


def cmd_datadocs(args: argparse.Namespace) -> int:
    from sped.reports.data_docs import build_data_docs

    profile = load_profile(settings.profile_path(args.profile))
    as_of = settings.as_of_date(args.as_of)
    inst = common.installation_for(args, must_exist=True)
    path = build_data_docs(inst, profile, as_of)
    print(f"validation results (open offline): {path}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from sped.reports.dbt_docs import export_docs

    profile = load_profile(settings.profile_path(args.profile))
    inst = common.installation_for(args, must_exist=True)
    path = export_docs(inst, profile.dbt_vars(settings.as_of_date(args.as_of)))
    print(f"dbt documentation: {path}")
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    dd = common.command(
        sub,
        "datadocs",
        "validation results of the data in force as a static site",
        "Runs every collection's Great Expectations suite over the rows in force and writes "
        "the results as pages that open offline (reports/validation/ in the installation).",
        cmd_datadocs,
    )
    common.installation_options(dd)

    docs = common.command(
        sub,
        "docs",
        "export the dbt documentation site as one HTML file",
        "Every model and column with the rule it implements, and the lineage graph "
        "(reports/dbt_docs/ in the installation).",
        cmd_docs,
    )
    common.installation_options(docs)
