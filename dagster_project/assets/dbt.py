"""The dbt models as Dagster assets; dbt tests become asset checks.

The build is full or incremental as raw/build_scope planned it (sped/warehouse/build_scope.py);
the plan is marked finished only when dbt succeeded.

dbt runs in this process (`sped.frameworks.dbt_cli`: `dbtRunner`, no `dbt` subprocess and no
`dbt --version` call, the stored parse reused across runs); its result events are turned into
Dagster events by dagster-dbt's own translation, so models are materialisations and tests asset
checks exactly as with `DbtCliResource`. A production build leaves dbt's unit tests out (they
run in the test suite, tests/test_dbt_build.py). An incremental build selects only the models
downstream of the district collections whose data changed and of the submissions' statuses,
and their tests: the staging views (their definitions did not change), the directory
dimensions (state-level data did not change) and the models of the other collections stay as
they are.

A run planned for such a build (sped/launch/pipeline_run.py, `FORESEEN_TAG`) selects only the models
it rebuilds, with their tests: Dagster then plans, and records, no event for the models left
alone, and expects no result from their tests. Any other run of the whole asset plans every
model and reports the ones an incremental build left alone as current ("not rebuilt").
"""

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, Output
from dagster_dbt import dbt_assets
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from dagster_project.assets.dbt_groups import LayerGroups
from dagster_project.dbt_project import ensure_manifest, sped_dbt
from dagster_project.resources import SpedSettings
from sped.contracts import COLLECTIONS
from sped.frameworks import dbt_cli
from sped.privacy import by_year
from sped.run.steps import connect, open_registry
from sped.warehouse.build_scope import BuildPlan, current_plan, finish_build, plan_build

#: dbt's events that carry a node's result (what dagster-dbt turns into Dagster events).
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})
#: Never in a production build: dbt unit tests check the SQL, not the data (CI runs them).
PRODUCTION_EXCLUDES = ["--exclude-resource-type", "unit_test"]
UNCHANGED = "not rebuilt: an incremental build changes only models fed by the data that changed"
#: The models that suppress statewide (sped/privacy/by_year.py): a build rebuilding one of them
#: has the suppression's helpers started with dbt.
SUPPRESSIONS = frozenset({"shr_suppression", "shr_spp_indicators"})
#: The tag of a run planned for an incremental build: the district collections it is foreseen
#: to cover (comma-separated; sped/warehouse/build_scope.py `foreseen_collections`). The run
#: selects only `incremental_assets` of them; its build is still the one the plan decides.
FORESEEN_TAG = "sped/foreseen_incremental_build"


def _fed_by(collections: tuple[str, ...] | None) -> list[str]:
    """The raw sources whose models an incremental build rebuilds: the district collections
    that changed (all of them when not known) and the submissions' statuses."""
    district = sorted(c.name for c in COLLECTIONS.values() if c.submitted_by == "district")
    changed = district if collections is None else sorted(set(collections) & set(district))
    return [*changed, "submissions"]


def incremental_selection(collections: tuple[str, ...] | None = None) -> list[str]:
    """What an incremental build runs: every model fed by the district collections that changed
    (all of them when not known) or by the submissions' statuses (the per-LEA models, the
    state-level marts and shared tables over them), never a view, and their tests."""
    sources = " ".join(f"source:raw.{name}+" for name in _fed_by(collections))
    return ["--select", sources, "--exclude", "config.materialized:view"]


def incremental_models(collections: tuple[str, ...] | None = None) -> frozenset[str]:
    """The models `incremental_selection(collections)` makes dbt rebuild, read from the
    manifest: every model downstream of the selected sources that is not a view (what dbt
    itself selects: tests/test_dbt_invocation.py)."""
    manifest = manifest_json(ensure_manifest(sped_dbt))
    fed_by = set(_fed_by(collections))
    todo = [
        uid
        for uid, node in manifest["sources"].items()
        if node["source_name"] == "raw" and node["name"] in fed_by
    ]
    seen: set[str] = set()
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    nodes = manifest["nodes"]
    return frozenset(
        nodes[uid]["name"]
        for uid in seen
        if uid in nodes
        and nodes[uid]["resource_type"] == "model"
        and nodes[uid]["config"]["materialized"] != "view"
    )


def incremental_assets(collections: tuple[str, ...] | None = None) -> frozenset[AssetKey]:
    """The Dagster assets of `incremental_models(collections)`."""
    models = incremental_models(collections)
    return frozenset(key for key in sped_dbt_models.keys if key.path[-1] in models)


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


def build_args(context: AssetExecutionContext, plan: BuildPlan) -> tuple[list[str], dict, bool]:
    """`dbt build`'s selection for this run, what dagster-dbt needs to translate events, and
    whether the build is the plan's incremental one.

    A run of the whole asset, or one planned for an incremental build (`FORESEEN_TAG`), builds
    what the plan says; a run of some of the dbt assets (chosen in the Dagster UI) builds what
    Dagster selected."""
    manifest = ensure_manifest(sped_dbt)
    params = get_updated_cli_invocation_params_for_context(context, manifest_json(manifest), None)
    foreseen = FORESEEN_TAG in context.run.tags
    subset = not foreseen and list(params.selection_args) not in ([], ["--select", "fqn:*"])
    if subset:
        selection = list(params.selection_args)
        if params.indirect_selection:
            selection += ["--indirect-selection", params.indirect_selection]
    elif plan.full:
        selection = ["--full-refresh"]
    else:
        selection = incremental_selection(plan.collections)
    translate = {
        "manifest": params.manifest,
        "dagster_dbt_translator": params.dagster_dbt_translator,
        "project": params.dbt_project,
    }
    incremental = not subset and not plan.full
    return ["build", *selection, *PRODUCTION_EXCLUDES], translate, incremental


_MANIFESTS: dict[tuple[str, float], dict] = {}


def manifest_json(path: Path) -> dict:
    """The parsed manifest, read once per version of the file."""
    import orjson

    key = (str(path), path.stat().st_mtime)
    if key not in _MANIFESTS:
        _MANIFESTS.clear()
        _MANIFESTS[key] = orjson.loads(path.read_bytes())
    return _MANIFESTS[key]


def run_dbt(context: AssetExecutionContext, sped: SpedSettings, plan: BuildPlan) -> Iterator:
    """Run the build in-process and yield its results as Dagster events; raise if it failed."""
    from dbt_common.events.functions import msg_to_dict

    inst = sped.installation()
    dbt_vars = sped.state_profile().dbt_vars(sped.as_of_date())
    command, translate, incremental = build_args(context, plan)
    context.log.info(f"dbt {' '.join(command)}")
    raw_events: list[dict] = []

    def collect(msg) -> None:
        if msg.info.name in RESULT_EVENTS:
            raw_events.append(msg_to_dict(msg))

    target = inst.dbt_target
    # dbt's own JSON artifacts: manifest.json is written twice per build and read by nobody
    # (about 0.2 s of an incremental build on the state scale); run_results.json is written
    # below, from the result
    args = [*dbt_cli.dbt_args(command, target=target, dbt_vars=dbt_vars), "--no-write-json"]
    log = Path(sped.dbt_output_log) if sped.dbt_output_log else None
    with contextlib.ExitStack() as stack:
        if not incremental or SUPPRESSIONS & incremental_models(plan.collections):
            stack.enter_context(by_year.helpers_kept())  # started while dbt starts
        out = sys.stdout
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = stack.enter_context(open(log, "a", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(out))  # what a Python model prints
        result = dbt_cli.run(
            args,
            warehouse=inst.warehouse,
            target=target,
            dbt_vars=dbt_vars,
            callbacks=[collect],
            echo=out,
        )
    if hasattr(result.result, "write"):  # what each node did, for whoever looks into a build
        result.result.write(str(target / "run_results.json"))
    selected = set(context.op_execution_context.selected_output_names)
    events = []
    for raw in raw_events:
        event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        for out in event.to_default_asset_events(context=context, target_path=target, **translate):
            if isinstance(out, Output) and out.output_name not in selected:
                # rebuilt though the run was planned without it (its plan turned out wider
                # than foreseen): recorded all the same, as a materialisation of this run
                key = sped_dbt_models.keys_by_output_name[out.output_name]  # all, not the run's
                out = AssetMaterialization(asset_key=key, metadata=out.metadata)
            events.append(out)
    if result.success and incremental:
        # What an incremental build leaves alone is current (its inputs did not change): said
        # so first (it is upstream of what was rebuilt), so that the steps downstream run.
        produced = {e.output_name for e in events if isinstance(e, Output)}
        models = set(context.assets_def.keys_by_output_name) & selected
        for name in _topological(models - produced, translate["manifest"]):
            yield Output(None, output_name=name, metadata={"rebuilt": False, "why": UNCHANGED})
    yield from events
    if not result.success:
        raise RuntimeError(dbt_cli.failure(command, result))


def _topological(output_names: set[str], manifest: dict) -> list[str]:
    """Output names (`<folder>__<model>`) ordered so that every model comes after its parents."""
    by_model = {name.rsplit("__", 1)[-1]: name for name in output_names}
    parents = {
        node["name"]: [p.rsplit(".", 1)[-1] for p in node["depends_on"]["nodes"]]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    ordered: list[str] = []

    def visit(model: str) -> None:
        if model in ordered:
            return
        for parent in parents.get(model, []):
            visit(parent)
        ordered.append(model)

    for model in sorted(by_model):
        visit(model)
    return [by_model[m] for m in ordered if m in by_model]


@dbt_assets(
    manifest=ensure_manifest(sped_dbt), project=sped_dbt, dagster_dbt_translator=LayerGroups()
)
def sped_dbt_models(context: AssetExecutionContext, sped: SpedSettings):
    dbt_vars = sped.state_profile().dbt_vars(sped.as_of_date())
    plan = _plan(sped, dbt_vars)
    context.log.info(f"dbt build {plan.build_id}: {plan.mode} ({plan.reason})")
    yield from run_dbt(context, sped, plan)
    _finish(sped, plan)
