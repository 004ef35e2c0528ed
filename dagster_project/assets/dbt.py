"""The dbt models as Dagster assets; dbt tests become asset checks.

The build is full or incremental as raw/build_scope planned it (sped/warehouse/build_scope.py);
the plan is marked finished only when dbt succeeded.
"""

import contextlib
import json
import os
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.assets.dbt_groups import LayerGroups
from dagster_project.dbt_project import ensure_manifest, sped_dbt
from dagster_project.resources import SpedSettings
from sped.steps import connect, open_registry
from sped.warehouse.build_scope import BuildPlan, current_plan, finish_build, plan_build


def _plan(sped: SpedSettings, dbt_vars: dict) -> BuildPlan:
    """The plan raw/build_scope wrote for this build, or a fresh one when the dbt assets run
    on their own."""
    inst = sped.installation()
    con = connect(inst)
    try:
        plan = current_plan(con)
        if plan is None:
            registry = open_registry(inst)
            try:
                plan = plan_build(con, registry, dbt_vars)
            finally:
                registry.close()
        return plan
    finally:
        con.close()


def _finish(sped: SpedSettings, plan: BuildPlan) -> None:
    con = connect(sped.installation())
    try:
        finish_build(con, plan.build_id)
    finally:
        con.close()


@dbt_assets(
    manifest=ensure_manifest(sped_dbt), project=sped_dbt, dagster_dbt_translator=LayerGroups()
)
def sped_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, sped: SpedSettings):
    inst = sped.installation()
    os.environ["SPED_WAREHOUSE"] = str(inst.warehouse)
    dbt_vars = sped.state_profile().dbt_vars(sped.as_of_date())
    plan = _plan(sped, dbt_vars)
    context.log.info(f"dbt build {plan.build_id}: {plan.mode} ({plan.reason})")
    args = ["build", "--vars", json.dumps(dbt_vars), "--log-path", str(inst.dbt_target / "logs")]
    if plan.full:
        args.append("--full-refresh")
    if not sped.dbt_output_log:
        yield from dbt.cli(args, context=context, target_path=inst.dbt_target).stream()
    else:
        log = Path(sped.dbt_output_log)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as out, contextlib.redirect_stdout(out):
            yield from dbt.cli(args, context=context, target_path=inst.dbt_target).stream()
    _finish(sped, plan)
