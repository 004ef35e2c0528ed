"""The dbt models as Dagster assets; dbt tests become asset checks."""

import contextlib
import json
import os
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import ensure_manifest, sped_dbt
from dagster_project.resources import SpedSettings


@dbt_assets(manifest=ensure_manifest(sped_dbt), project=sped_dbt)
def sped_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, sped: SpedSettings):
    inst = sped.installation()
    os.environ["SPED_WAREHOUSE"] = str(inst.warehouse)
    dbt_vars = sped.state_profile().dbt_vars(sped.as_of_date())
    args = ["build", "--vars", json.dumps(dbt_vars), "--log-path", str(inst.dbt_target / "logs")]
    if not sped.dbt_output_log:
        yield from dbt.cli(args, context=context, target_path=inst.dbt_target).stream()
        return
    log = Path(sped.dbt_output_log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        yield from dbt.cli(args, context=context, target_path=inst.dbt_target).stream()
