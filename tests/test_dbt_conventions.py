"""dbt used as its best users use it: every model in a group with an owner, an enforced
contract on every mart the pages, the API or the federal file read, source freshness against
the state profile's due dates, and an exposure for each thing outside dbt that reads the
warehouse, naming only models its code reads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sped.config.settings import DBT_PROJECT_DIR, REPO_ROOT
from sped.contracts import COLLECTIONS
from sped.contracts.dbt import due_dated

MODELS = DBT_PROJECT_DIR / "models"
#: Where the code outside dbt reads the warehouse: the pages, the portal, the API, the exports.
READERS = ("sped/dashboards", "sped/web", "sped/federal")


def _docs() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(MODELS.rglob("*.yml"))]


def _models() -> dict[str, dict]:
    return {m["name"]: m for d in _docs() for m in d.get("models") or []}


def _model_files() -> dict[str, Path]:
    return {p.stem: p for p in MODELS.rglob("*") if p.suffix in (".sql", ".py")}


def _read_by_the_code() -> dict[str, set[str]]:
    """Model -> the files outside dbt that name it as schema.table (marts, shared, staging)."""
    read: dict[str, set[str]] = {}
    for folder in READERS:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for name in re.findall(r"\b(?:marts|shared|staging)\.((?:fct|dim|shr|stg)_\w+)", text):
                read.setdefault(name, set()).add(str(path.relative_to(REPO_ROOT)))
    # figures.py names the shared tables as shared.shr_<figure>; those that exist are read
    shared = [n for n in _model_files() if n.startswith("shr_") and n != "shr_suppression"]
    for name in shared:
        read.setdefault(name, set()).add("sped/dashboards/figures.py")
    return read


def test_every_model_is_in_a_group_with_an_owner():
    groups = {g["name"]: g for d in _docs() for g in d.get("groups") or []}
    assert set(groups) == {"ingest", "figures", "sharing"}
    assert all(g["owner"]["name"] and g["owner"]["email"] for g in groups.values())
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    layers = project["models"]["sped_placements"]
    assert {k: layers[k]["+group"] for k in ("staging", "intermediate", "marts", "shared")} == {
        "staging": "ingest",
        "intermediate": "figures",
        "marts": "figures",
        "shared": "sharing",
    }


def test_every_mart_the_code_reads_has_an_enforced_contract():
    models, read = _models(), _read_by_the_code()
    marts = {n for n in read if n.startswith(("fct_", "dim_", "shr_"))}
    assert {"fct_proportionate_share", "fct_lre_environments", "dim_lea"} <= marts
    for name in sorted(marts):
        model = models[name]
        if _model_files()[name].suffix == ".sql":  # dbt enforces no contract on Python models
            assert (model.get("config") or {}).get("contract") == {"enforced": True}, name
        untyped = [c["name"] for c in model["columns"] if not c.get("data_type")]
        assert not untyped, (name, untyped)


def test_sources_with_a_due_date_have_freshness_from_the_registry_receipts():
    (source,) = yaml.safe_load((MODELS / "staging" / "_sources.yml").read_text())["sources"]
    tables = {t["name"]: t for t in source["tables"]}
    dated = [c.name for c in COLLECTIONS.values() if due_dated(c)]
    assert dated == ["placements", "monitoring_log", "ppps_count", "child_find"]
    for name in dated:
        config = tables[name]["config"]
        assert config["loaded_at_query"] == f"{{{{ due_date_met('{name}') }}}}"
        assert config["freshness"]["warn_after"] == {"count": 365, "period": "day"}
    macro = (DBT_PROJECT_DIR / "macros" / "due_date_met.sql").read_text()
    assert "var('due_dates')" in macro and "source('raw', 'submissions')" in macro


def test_exposures_cover_every_page_the_api_and_the_federal_file_and_name_what_they_read():
    from sped.dashboards.pages import PAGES

    exposures = {e["name"]: e for d in _docs() for e in d.get("exposures") or []}
    pages = {f"dashboard_{slug.replace('-', '_')}" for slug in PAGES} | {"dashboard_lea"}
    assert pages | {"figures_api", "edfacts_618_child_count", "district_portal_figures"} == set(
        exposures
    )
    files, read = _model_files(), _read_by_the_code()
    for name, exposure in exposures.items():
        assert exposure["owner"]["email"] and exposure["url"].startswith("http://127.0.0.1")
        refs = [re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in exposure["depends_on"]]
        for ref in refs:
            assert ref in files, (name, ref)  # names only what exists
            assert ref in read, (name, ref)  # and only what the code outside dbt reads
    federal = exposures["edfacts_618_child_count"]
    assert federal["depends_on"] == [  # what exports.federal_618 and sped/federal/ read
        "ref('stg_placements')",
        "ref('fct_federal_children')",
        "ref('fct_federal_category_sets')",
    ]
    assert "sped/dashboards/exports.py" in read["stg_placements"]


def test_dbt_user_file_is_not_tracked():
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "dbt/.user.yml" in ignored
    assert not (REPO_ROOT / "dbt" / ".user.yml").exists() or _untracked("dbt/.user.yml")


def _untracked(path: str) -> bool:
    import subprocess

    listed = subprocess.run(
        ["git", "ls-files", path], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    return listed.returncode != 0 or not listed.stdout.strip()


#: Each layer's models read only models of the layers listed for it (sources aside): staging
#: reads the raw sources, intermediate reads staging and itself, the marts read anything
#: below them, the shared tables read the marts and themselves.
READS = {
    "stg": {"stg"},
    "int": {"stg", "int"},
    "dim": {"stg", "int", "dim"},
    "fct": {"stg", "int", "dim", "fct"},
    "shr": {"dim", "fct", "shr"},
}


def test_no_model_reads_a_layer_above_its_own():
    """An intermediate model once read the mart dim_facility: a layer inversion, and in a full
    build it queued the out-of-district chain behind the directory dimension and its tests."""
    upward = []
    for name, path in sorted(_model_files().items()):
        layer = name.split("_", 1)[0]
        text = path.read_text(encoding="utf-8")
        for ref in re.findall(r"""ref\(\s*['"](\w+)['"]\s*\)""", text):
            if ref.split("_", 1)[0] not in READS[layer]:
                upward.append(f"{name} -> {ref}")
    assert upward == []
