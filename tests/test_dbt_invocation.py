"""How dbt is invoked in production (dagster_project/assets/dbt.py, sped/frameworks/dbt_cli.py): in
this
process, reusing a parse made with the same vars in another installation, without dbt's unit
tests, an incremental build selecting only what district data feeds; and dbt's data tests still
reach Dagster as asset checks. A run planned for an incremental build plans exactly the models
and checks dbt then builds, and one whose plan turns out wider still records all it built."""

from __future__ import annotations

import io
import json
import re

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from dagster_project.assets.dbt import (
    FORESEEN_TAG,
    PRODUCTION_EXCLUDES,
    incremental_assets,
    incremental_models,
    incremental_selection,
    sped_dbt_models,
)
from dagster_project.dbt_project import ensure_manifest
from dagster_project.resources import SpedSettings
from sped.config.profile import load_profile
from sped.config.settings import Installation
from sped.contracts import COLLECTIONS
from sped.frameworks import dbt_cli
from sped.run.steps import open_registry
from tests.warehouse_fixtures import AS_OF, open_from_another_process, small_state

pytestmark = pytest.mark.slow

#: The federal edit checks (dbt/tests/federal/, severity warn) that warn on small_state's
#: deliberate edge cases: parentally placed children aged 2 or 22, and a child counted twice
#: (as tests/test_dbt_build.py expects). Warnings never stop a build.
FIXTURE_WARNINGS = {"federal_ages_inside_the_file_range", "federal_no_child_counted_twice"}


def _vars() -> dict:
    import datetime as dt

    return load_profile().dbt_vars(dt.date.fromisoformat(AS_OF))


def _events(tmp_path, name: str, command: list[str]) -> tuple[object, list[str]]:
    seen: list[str] = []
    target = tmp_path / name / "target"
    result = dbt_cli.run(
        dbt_cli.dbt_args(command, target=target, dbt_vars=_vars()),
        warehouse=tmp_path / name / "warehouse.duckdb",
        target=target,
        dbt_vars=_vars(),
        callbacks=[lambda msg: seen.append(msg.info.name)],
    )
    return result, seen


def test_a_second_installation_reuses_the_parse_made_with_the_same_vars(tmp_path):
    first, _ = _events(tmp_path, "one", ["parse"])
    assert first.success
    second, seen = _events(tmp_path, "two", ["parse"])
    assert second.success
    assert "UnableToPartialParse" not in seen, "the stored parse was thrown away"
    assert "PartialParsingEnabled" in seen


def _selected(tmp_path, selection: list[str]) -> set[str]:
    result, _ = _events(
        tmp_path, "ls", ["ls", "--output", "name", *selection, *PRODUCTION_EXCLUDES]
    )
    assert result.success
    return {line.rsplit(".", 1)[-1] for line in result.result}


def test_production_builds_leave_unit_tests_out_and_increments_select_district_models(tmp_path):
    manifest = json.loads(ensure_manifest().read_text())
    everything = _selected(tmp_path, [])
    assert not everything & {u["name"] for u in manifest["unit_tests"].values()}
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert models <= everything
    increment = _selected(tmp_path, incremental_selection())
    built = increment & models
    per_lea = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
    }
    assert per_lea <= built, "every per-LEA model recomputes its changed LEAs"
    assert {"fct_submission_status", "fct_out_of_district", "shr_out_of_district"} <= built
    assert not {m for m in built if m.startswith("stg_")}, "views are not rebuilt"
    assert not {"dim_lea", "dim_facility", "dim_private_school"} & built
    tests = increment - models
    assert tests, "the rebuilt models' tests run"
    assert not {t for t in tests if "stg_" in t or "dim_" in t}

    # A new roster recomputes what rosters and submission statuses feed, not the child-find
    # or spending figures; with no data changed, only what the statuses feed.
    roster = _selected(tmp_path, incremental_selection(("placements",))) & models
    assert {"int_placements_by_lea", "fct_out_of_district", "shr_suppression"} <= roster
    assert {"fct_submission_status", "int_ppps_counts"} <= roster
    assert not {"fct_child_find", "int_equitable_spending"} & roster
    assert roster < built
    statuses = _selected(tmp_path, incremental_selection(())) & models
    assert "fct_submission_status" in statuses and "int_placements_by_lea" not in statuses


def test_a_foreseen_incremental_run_plans_the_models_and_checks_dbt_builds(tmp_path):
    """What a run planned for an incremental build selects (read from the manifest) is what
    dbt's own selection builds: every model, and a check for every test, so that no model is
    left unrecorded and no planned check waits for a result that never comes."""
    manifest = json.loads(ensure_manifest().read_text())
    nodes = manifest["nodes"].values()
    models = {n["name"] for n in nodes if n["resource_type"] == "model"}
    tests = {n["name"] for n in nodes if n["resource_type"] == "test"}
    specs = list(sped_dbt_models.check_specs_by_output_name.values())
    district = sorted(n for n, c in COLLECTIONS.items() if c.submitted_by == "district")
    for collections in [None, (), *((name,) for name in district), ("child_find", "placements")]:
        selected = _selected(tmp_path, incremental_selection(collections))
        assert incremental_models(collections) == selected & models, collections
        planned = incremental_assets(collections)
        assert {key.path[-1] for key in planned} == selected & models, collections
        checks = {spec.name for spec in specs if spec.asset_key in planned}
        assert checks == selected & tests, collections


def test_a_run_foreseen_too_narrowly_builds_and_records_what_its_plan_says(tmp_path):
    """Planned for a roster's incremental build, but no build has finished yet: the plan is a
    full build. dbt builds every model, and the models outside the run's selection are recorded
    as materialisations of the run all the same."""
    inst = Installation(tmp_path / "install" / "warehouse.duckdb").create()
    open_registry(inst).close()  # an installation's registry comes before its warehouse
    small_state(inst.warehouse)
    narrow = incremental_assets(("placements",))
    assert narrow < set(sped_dbt_models.keys)
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [sped_dbt_models],
            selection=list(narrow),
            instance=instance,
            resources={"sped": SpedSettings(warehouse=str(inst.warehouse), as_of=AS_OF)},
            tags={FORESEEN_TAG: "placements"},
        )
    assert result.success
    recorded = {e.asset_key for e in result.get_asset_materialization_events()}
    assert recorded == set(sped_dbt_models.keys)
    manifest = json.loads(ensure_manifest().read_text())
    data_tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    specs = sped_dbt_models.check_specs_by_output_name.values()
    planned = [spec for spec in specs if spec.asset_key in narrow]
    # the other tests ran too: observed, not planned checks
    assert len(result.get_asset_check_evaluations()) == len(planned) < len(data_tests)


def test_dbt_tests_become_asset_checks(tmp_path):
    inst = Installation(tmp_path / "install" / "warehouse.duckdb").create()
    open_registry(inst).close()  # an installation's registry comes before its warehouse
    small_state(inst.warehouse)
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [sped_dbt_models],
            instance=instance,
            resources={"sped": SpedSettings(warehouse=str(inst.warehouse), as_of=AS_OF)},
        )
    assert result.success
    checks = result.get_asset_check_evaluations()
    manifest = json.loads(ensure_manifest().read_text())
    data_tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(checks) == len(data_tests) > 10
    # a check that warns is a check that did not pass, at severity WARN (dagster-dbt)
    failed = {c.check_name: c.severity for c in checks if not c.passed}
    assert failed == dict.fromkeys(FIXTURE_WARNINGS, AssetCheckSeverity.WARN)
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert {"fct_proportionate_share", "stg_placements"} <= materialized

    # The next build is incremental (nothing changed): it rebuilds only what district data
    # feeds, and still reports every model, so the steps downstream (publish) run.
    with DagsterInstance.ephemeral() as instance:
        again = materialize(
            [sped_dbt_models],
            instance=instance,
            resources={"sped": SpedSettings(warehouse=str(inst.warehouse), as_of=AS_OF)},
        )
    assert again.success
    events = again.get_asset_materialization_events()
    assert {e.asset_key.path[-1] for e in events} == materialized
    untouched = {
        e.asset_key.path[-1]
        for e in events
        if e.materialization.metadata.get("rebuilt") is not None
        and e.materialization.metadata["rebuilt"].value is False
    }
    assert {"dim_lea", "stg_placements"} <= untouched
    assert "fct_proportionate_share" not in untouched
    checks_again = again.get_asset_check_evaluations()
    assert 0 < len(checks_again) < len(checks) and all(c.passed for c in checks_again)


def _assert_dbt_console_lines(text: str, result) -> None:
    """`echo` got what dbt's console shows at info level, and nothing of its debug events (its
    SQL statements, its cache operations), without colour codes."""
    lines = text.splitlines()
    # the exposures (dbt/models/_exposures.yml) are results that print no line: they run nothing
    nodes = sum(not r.node.unique_id.startswith("exposure.") for r in result.result.results)
    # the federal edit checks that warn on the fixture print `WARN <n>`, not `PASS`
    warned = {r.node.name for r in result.result.results if r.status == "warn"}
    assert warned == FIXTURE_WARNINGS
    assert sum(" START " in line for line in lines) == nodes, text[:2000]
    ended = r" (OK created|PASS|WARN \d+) "
    assert sum(re.search(ended, line) is not None for line in lines) == nodes
    done = rf"^\d\d:\d\d:\d\d  Done\. PASS={nodes - len(warned)} WARN={len(warned)} "
    assert re.search(done, text, re.M), text[-500:]
    assert "\x1b" not in text
    assert not re.search(r"create (or replace )?table|Began running node|Acquiring new", text, re.I)


def test_a_build_leaves_the_warehouse_free_for_the_next_step_and_other_processes(tmp_path):
    """The profile keeps one database open for the whole command (`keep_open`); dbt_cli closes
    it when the command ends. Left open, this process would hold the file with dbt's own
    configuration: the pipeline's next connection and every other process would be refused."""
    import duckdb

    from sped.validation.gx_duckdb import shared_config

    inst = Installation(tmp_path / "install" / "warehouse.duckdb").create()
    small_state(inst.warehouse)
    target = inst.dbt_target
    result = dbt_cli.run(
        dbt_cli.dbt_args(["build", *PRODUCTION_EXCLUDES], target=target, dbt_vars=_vars()),
        warehouse=inst.warehouse,
        target=target,
        dbt_vars=_vars(),
        echo=(echoed := io.StringIO()),
    )
    assert result.success
    _assert_dbt_console_lines(echoed.getvalue(), result)
    con = duckdb.connect(str(inst.warehouse), config=shared_config())
    assert con.execute("SELECT count(*) FROM marts.fct_proportionate_share").fetchone()[0]
    con.close()
    other = open_from_another_process(inst.warehouse)
    assert other.returncode == 0, other.stderr
