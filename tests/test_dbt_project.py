"""The dbt project agrees with the contracts and the state profile: the generated source and
staging YAML are what `python -m sped.contracts.dbt` renders, staging repeats no contract rule
(the gate enforces them: tests/test_contract_gate.py), the vars mirror
config/state_profile.yaml, and `dbt parse` sees every model and column documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sped.config.profile import StateProfile
from sped.config.settings import DBT_PROJECT_DIR
from sped.contracts import COLLECTIONS
from sped.contracts.dbt import (
    SOURCES,
    STAGING,
    render_sources_yaml,
    render_staging_yaml,
)
from sped.frameworks.dbt_cli import invoke
from sped.warehouse.schema import BUILD_SCOPE_COLUMNS, LINEAGE_COLUMNS, SUBMISSIONS_COLUMNS

PROJECT = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))


def _staging_models() -> dict[str, dict]:
    doc = yaml.safe_load(STAGING.read_text(encoding="utf-8"))
    return {m["name"]: m for m in doc["models"]}


def test_committed_sources_yaml_is_rendered_from_the_contracts():
    assert SOURCES.read_text(encoding="utf-8") == render_sources_yaml(), (
        "dbt/models/staging/_sources.yml is stale: run `python -m sped.contracts.dbt`"
    )


def test_committed_staging_yaml_is_rendered_from_the_contracts():
    assert STAGING.read_text(encoding="utf-8") == render_staging_yaml(), (
        "dbt/models/staging/_staging.yml is stale: run `python -m sped.contracts.dbt`"
    )


def test_sources_have_every_contract_column_typed_and_described():
    (source,) = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))["sources"]
    assert (source["name"], source["schema"]) == ("raw", "raw")
    tables = {t["name"]: t for t in source["tables"]}
    assert set(tables) == {*COLLECTIONS, "submissions", "build_scope"}
    for name, collection in COLLECTIONS.items():
        expected = [(c.name, c.duckdb_type.lower()) for c in collection.columns]
        expected += [(n, t.lower()) for n, t in LINEAGE_COLUMNS]
        got = [(c["name"], c["data_type"]) for c in tables[name]["columns"]]
        assert got == expected, name
        assert all(c["description"].strip() for c in tables[name]["columns"]), name
    got = [(c["name"], c["data_type"]) for c in tables["submissions"]["columns"]]
    assert got == [(n, t.lower()) for n, t in SUBMISSIONS_COLUMNS]
    got = [(c["name"], c["data_type"]) for c in tables["build_scope"]["columns"]]
    assert got == [(n, t.lower()) for n, t in BUILD_SCOPE_COLUMNS]


def test_staging_repeats_no_contract_rule_the_gate_enforces():
    """Required columns and code sets are checked by GX before load (tests/test_contract_gate.py),
    so no staging model carries a data test that would re-check them on every build."""
    for model in _staging_models().values():
        assert not any(col.get("data_tests") for col in model["columns"]), model["name"]
        assert not model.get("data_tests"), model["name"]


def test_every_staging_column_is_described():
    for model in _staging_models().values():
        assert model["description"].strip()
        for col in model["columns"]:
            assert col["description"].strip(), (model["name"], col["name"])


def test_layers_build_into_their_own_schemas():
    models = PROJECT["models"]["sped_placements"]
    assert models["staging"] == {"+schema": "staging", "+materialized": "view", "+group": "ingest"}
    assert models["intermediate"]["+schema"] == "intermediate"
    assert (models["marts"]["+schema"], models["marts"]["+materialized"]) == ("marts", "table")
    per_lea = {"+materialized": "incremental", "+incremental_strategy": "append"}
    for folder in (models["intermediate"], models["marts"]["per_lea"]):
        assert per_lea.items() <= folder.items()
        assert folder["+pre-hook"] == "{{ delete_changed_leas() }}"
    macro = (DBT_PROJECT_DIR / "macros" / "generate_schema_name.sql").read_text(encoding="utf-8")
    assert "custom_schema_name if custom_schema_name" in macro  # never target-prefixed


def test_project_vars_mirror_the_state_profile(profile: StateProfile):
    shipped = profile.dbt_vars()
    defaults = PROJECT["vars"]
    assert set(defaults) == set(shipped)
    assert {k: v for k, v in defaults.items() if k != "as_of"} == {
        k: v for k, v in shipped.items() if k != "as_of"
    }


def test_profiles_yml_reads_the_warehouse_from_the_environment():
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    out = profiles["sped_placements"]["outputs"][profiles["sped_placements"]["target"]]
    # one database for the whole command; sped.frameworks.dbt_cli closes it after
    # (test_dbt_invocation.py)
    assert out["type"] == "duckdb" and out["keep_open"] is True
    assert out["threads"] == 2  # the Python suppression model beside the SQL models and tests
    assert "env_var('SPED_WAREHOUSE'" in out["path"]


def test_one_macro_per_file():
    for path in (DBT_PROJECT_DIR / "macros").glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        blocks = text.count("{% macro ") + text.count("{% test ")
        assert blocks == 1, path.name
        name = path.stem.removeprefix("test_")
        assert f"{{% macro {name}(" in text or f"{{% test {name}(" in text, path.name


@pytest.mark.slow
def test_dbt_parse_sees_every_model_and_column_documented(tmp_path: Path):
    invoke(["parse"], warehouse=tmp_path / "none.duckdb", target=tmp_path / "target")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    models_dir = DBT_PROJECT_DIR / "models"
    stems = {p.stem for p in [*models_dir.rglob("*.sql"), *models_dir.rglob("*.py")]}
    assert {m["name"] for m in models} == stems
    for m in models:
        assert m["patch_path"], f"{m['name']} has no YAML"
        assert m["description"].strip(), m["name"]
        assert m["columns"], f"{m['name']} documents no columns"
        for col in m["columns"].values():
            assert col["description"].strip(), (m["name"], col["name"])
    unit_tests = {u["name"] for u in manifest.get("unit_tests", {}).values()}
    assert {
        "fresno_county_selpa_rounds_at_the_end",
        "florida_doe_rounds_per_child_first",
        "share_status_as_of_november_2026",
        "int_ppps_counts_who_counts",
        "int_equitable_spending_what_counts_and_when",
        "stg_placements_age_on_the_count_date_and_age_group",
        "disproportionality_children_at_the_age_disability_and_environment_edges",
        "disproportionality_minimums_threshold_and_alternate_ratio",
        "disproportionality_consecutive_years_and_a_gap",
        "disproportionality_groups_every_race_and_category_with_its_total",
    } <= unit_tests
    sources = [s for s in manifest["sources"].values() if s["source_name"] == "raw"]
    assert {s["name"] for s in sources} == {*COLLECTIONS, "submissions", "build_scope"}
    # dagster-dbt's default translator links source raw.<table> to the asset raw/<table> that
    # dagster_project/assets/raw.py defines, so the sources need no meta asset keys
    from dagster import AssetKey
    from dagster_dbt import DagsterDbtTranslator

    translator = DagsterDbtTranslator()
    for s in sources:
        assert translator.get_asset_key(s) == AssetKey(["raw", s["name"]])


def test_the_definitions_parse_writes_no_debug_log(tmp_path):
    """dagster_project/dbt_project.py `ensure_manifest` (the parse `dagster dev` makes when the
    manifest is stale) writes no dbt/logs/dbt.log, as sped's own dbt calls write none."""
    import shutil

    from dagster_dbt import DbtProject

    from dagster_project.dbt_project import ensure_manifest

    copy = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    manifest = ensure_manifest(DbtProject(project_dir=copy, profiles_dir=copy))
    assert manifest.is_file()
    assert not (copy / "logs" / "dbt.log").exists()
