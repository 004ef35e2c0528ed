"""raw/<collection>: each collection's pending submissions validated and loaded into DuckDB.

Reference directories load first (other collections check against them), the placement roster
before the monitoring log and the PPPS count before the child-find log (whose cross-checks
read them). Once every collection is done, raw/submissions mirrors the registry and
raw/build_scope says what the dbt build recomputes.
"""

import dataclasses

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    ResourceParam,
    asset,
    multi_asset,
)

from dagster_project.resources import Progress, SpedSettings
from sped.contracts import COLLECTIONS, Collection, reads
from sped.ingest.batch import BatchResult, process_collection
from sped.run.steps import connect, mirror_submissions, open_registry
from sped.validation import validate_batch, validate_cross
from sped.warehouse.build_scope import plan_build

GROUP = "raw"


def _upstream(collection: Collection) -> list[AssetKey]:
    """The raw assets whose data this collection's step reads (sped.contracts.reads)."""
    return [AssetKey(["raw", name]) for name in reads(collection.name)]


def _checks(collection: Collection, result: BatchResult) -> list[AssetCheckResult]:
    """Validation outcomes as asset checks. A district's file rejected by the blocking rules is
    the designed outcome (the district is told why and sends it again; the run goes on), so on
    district collections the check is a WARN saying "N of M files rejected", not a failure; a
    rejected state file (a directory, the allocations) is an ERROR. Warnings are a WARN."""
    top = dict(sorted(result.rules_failed.items(), key=lambda kv: -kv[1])[:10])
    rejected = f"{result.rejected} of {result.submissions} files rejected"
    return [
        AssetCheckResult(
            check_name="submissions_pass_blocking_rules",
            passed=result.rejected == 0,
            severity=AssetCheckSeverity.WARN if collection.lea_scoped else AssetCheckSeverity.ERROR,
            description=rejected
            + (" (the districts are told why and send them again)" if result.rejected else ""),
            metadata={
                "submissions": result.submissions,
                "rejected": result.rejected,
                "rules_failed_top10": top,
            },
        ),
        AssetCheckResult(
            check_name="submissions_without_warnings",
            passed=not result.rules_failed,
            severity=AssetCheckSeverity.WARN,
            metadata={"accepted": result.accepted, "rules_failed": len(result.rules_failed)},
        ),
    ]


def raw_asset(collection: Collection) -> AssetsDefinition:
    key = AssetKey(["raw", collection.name])

    @asset(
        key=key,
        check_specs=[
            AssetCheckSpec(
                "submissions_pass_blocking_rules",
                asset=key,
                description="Every pending submission passed the blocking rules; a rejected "
                "district file is a warning saying how many of the batch's files were rejected "
                "(the designed outcome), a rejected state file an error.",
            ),
            AssetCheckSpec(
                "submissions_without_warnings",
                asset=key,
                description="No rule, blocking or warning, fired on this batch.",
            ),
        ],
        deps=_upstream(collection),
        group_name=GROUP,
        description=f"{collection.title}: the rows of the submissions in force, typed per the "
        "contract, after validation of every pending submission.",
        kinds={"duckdb"},
    )
    def _raw(context: AssetExecutionContext, sped: SpedSettings, progress: ResourceParam[Progress]):
        inst = sped.installation()
        registry = open_registry(inst)
        con = connect(inst)
        try:
            result = process_collection(
                con,
                registry,
                collection,
                sped.state_profile(),
                sped.as_of_date(),
                validate=validate_batch,
                validate_cross=validate_cross,
                progress=progress.to(context.log.info),
                allow_empty=sped.allow_empty,
            )
            in_force = con.execute(f"SELECT count(*) FROM raw.{collection.name}").fetchone()[0]
        finally:
            con.close()
            registry.close()
        progress.record(collection.name, result)
        context.log.info(
            f"{collection.name}: {result.accepted} accepted, {result.rejected} rejected, "
            f"{result.rows_loaded} rows loaded"
        )
        meta = {k: v for k, v in dataclasses.asdict(result).items() if k != "rules_failed"}
        meta["rows_in_force"] = in_force
        meta["seconds"] = {k: round(v, 3) for k, v in result.seconds.items()}
        top = sorted(result.rules_failed.items(), key=lambda kv: -kv[1])[:10]
        meta["rules_failed_top10"] = dict(top)
        return MaterializeResult(metadata=meta, check_results=_checks(collection, result))

    return _raw


raw_assets = [raw_asset(c) for c in COLLECTIONS.values()]


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["raw", "submissions"]),
            deps=[AssetKey(["raw", name]) for name in COLLECTIONS],
            group_name=GROUP,
            description="Every submission with its status, mirrored from the registry for dbt.",
            kinds={"duckdb"},
        ),
        AssetSpec(
            AssetKey(["raw", "build_scope"]),
            deps=[AssetKey(["raw", name]) for name in COLLECTIONS],
            group_name=GROUP,
            description="The LEAs the next dbt build recomputes, or a full build and why "
            "(sped/warehouse/build_scope.py).",
            kinds={"duckdb"},
        ),
    ]
)
def raw_submissions(sped: SpedSettings):
    inst = sped.installation()
    registry = open_registry(inst)
    con = connect(inst)
    try:
        n = mirror_submissions(con, registry)
        plan = plan_build(con, registry, sped.state_profile().dbt_vars(sped.as_of_date()))
    finally:
        con.close()
        registry.close()
    yield MaterializeResult(asset_key=AssetKey(["raw", "submissions"]), metadata={"submissions": n})
    yield MaterializeResult(
        asset_key=AssetKey(["raw", "build_scope"]),
        metadata={"mode": plan.mode, "reason": plan.reason, "leas": len(plan.lea_ids)},
    )
