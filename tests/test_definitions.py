"""The Dagster code location loads, and raw assets, dbt models and the snapshot form one graph."""

from __future__ import annotations

from dagster import AssetKey

from dagster_project.definitions import defs
from sped.contracts import COLLECTIONS


def test_definitions_resolve():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for name in COLLECTIONS:
        assert f"raw/{name}" in keys
    assert {"raw/submissions", "published/warehouse", "reports/data_quality"} <= keys
    assert defs.resolve_job_def("pipeline")
    assert defs.resolve_sensor_def("new_submissions")
    assert defs.resolve_schedule_def("nightly_pipeline")


def test_runs_say_what_started_them_and_the_defaults_are_stated():
    """Schedule stopped and sensor running by default (as the README and sensors.py say); the
    schedule's runs are tagged sped/trigger=schedule."""
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    nightly = defs.resolve_schedule_def("nightly_pipeline")
    assert nightly.default_status == DefaultScheduleStatus.STOPPED
    assert nightly.tags == {"sped/trigger": "schedule"}
    sensor = defs.resolve_sensor_def("new_submissions")
    assert sensor.default_status == DefaultSensorStatus.RUNNING


def test_dbt_sources_are_the_raw_assets():
    graph = defs.resolve_asset_graph()
    stg = next(k for k in graph.get_all_asset_keys() if k.path[-1] == "stg_placements")
    assert AssetKey(["raw", "placements"]) in graph.get(stg).parent_keys


def test_reference_data_loads_before_the_files_that_check_against_it():
    graph = defs.resolve_asset_graph()
    parents = graph.get(AssetKey(["raw", "placements"])).parent_keys
    assert AssetKey(["raw", "facilities"]) in parents
    assert (
        AssetKey(["raw", "placements"])
        in graph.get(AssetKey(["raw", "monitoring_log"])).parent_keys
    )


def test_sensor_registers_inbox_files_and_requests_one_run(tmp_path, monkeypatch):
    from dagster import RunRequest, SkipReason, build_sensor_context

    from dagster_project.sensors import new_submissions
    from sped.config.settings import installation
    from sped.operations.initialise import initialise
    from sped.run.steps import open_registry

    warehouse = tmp_path / "install" / "warehouse.duckdb"
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("SPED_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SPED_LANDING", str(inbox))
    inbox.mkdir()
    (inbox / "reference").mkdir()
    (inbox / "reference" / "leas.csv").write_text("lea_id,name,county,lea_type\n")
    # No installation yet: the sensor skips, says why and what makes one, and creates nothing
    skipped = new_submissions(build_sensor_context())
    assert isinstance(skipped, SkipReason)
    assert skipped.skip_message == (
        f"no installation at {warehouse.parent}: `sped init --warehouse {warehouse}` creates "
        "one; files in the inbox are registered once it exists"
    )
    assert not warehouse.parent.exists()
    assert sorted(p.name for p in inbox.rglob("*")) == ["leas.csv", "reference"]

    initialise(installation())  # as `sped init` makes it
    request = new_submissions(build_sensor_context())
    assert isinstance(request, RunRequest)
    assert request.tags == {"sped/trigger": "sensor", "sped/collections": "leas"}
    again = new_submissions(build_sensor_context())  # same file: registered once, same run key
    assert again.run_key == request.run_key
    with open_registry(installation()) as reg:
        assert [s.collection for s in reg.submissions()] == ["leas"]


def test_dbt_models_are_grouped_by_layer():
    graph = defs.resolve_asset_graph()
    groups = {k.path[-1]: graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["stg_placements"] == "staging"
    assert groups["int_ppps_counts"] == "intermediate"
    assert groups["fct_out_of_district"] == "marts"
    assert groups["fct_proportionate_share"] == "marts"  # marts/per_lea is still a mart
    assert groups["shr_out_of_district"] == "shared"
    assert "default" not in set(groups.values())


def test_the_nightly_schedule_runs_in_the_profiles_time_zone():
    from sped.config.profile import load_profile

    schedule = defs.resolve_schedule_def("nightly_pipeline")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == load_profile().timezone == "America/New_York"


def test_dbt_sends_no_usage_statistics():
    import yaml

    from sped.config.settings import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert project["flags"]["send_anonymous_usage_stats"] is False
