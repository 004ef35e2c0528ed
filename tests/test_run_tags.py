"""Run tags (sped/run/run_tags.py): what started a run, and the LEAs and collections pending."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sped.run import run_tags


def _sub(lea: str | None, collection: str) -> SimpleNamespace:
    return SimpleNamespace(lea_id=lea, collection=collection)


def test_a_resubmission_names_its_district_and_collection():
    assert run_tags.tags([_sub("2500001", "placements")]) == {
        "sped/trigger": "cli",
        "sped/leas": "2500001",
        "sped/collections": "placements",
    }


def test_many_leas_are_counted_and_reference_files_name_no_lea():
    pending = [_sub(f"25{i:05d}", "placements") for i in range(12)] + [_sub(None, "leas")]
    found = run_tags.tags(pending, "sensor")
    assert found == {
        "sped/trigger": "sensor",
        "sped/leas": "12 LEAs",
        "sped/collections": "leas,placements",
    }


def test_the_trigger_is_set_for_the_runs_started_inside():
    with run_tags.triggered_by("portal"):
        assert run_tags.tags([])["sped/trigger"] == "portal"
    assert run_tags.tags([]) == {"sped/trigger": "cli"}
    with pytest.raises(ValueError, match="unknown run trigger"), run_tags.triggered_by("cron"):
        pass


def test_a_process_started_for_the_portal_tags_its_runs_portal(monkeypatch):
    """The portal's fallback `sped pipeline` process is told by its environment what started
    it (sped/web/pipeline_trigger.py sets it; tests/test_run_worker.py runs one for real)."""
    env = run_tags.environment("portal")
    assert env[run_tags.TRIGGER_ENV] == "portal"
    monkeypatch.setenv(run_tags.TRIGGER_ENV, env[run_tags.TRIGGER_ENV])
    assert run_tags.tags([])["sped/trigger"] == "portal"
    with run_tags.triggered_by("schedule"):  # a trigger set around the call still wins
        assert run_tags.tags([])["sped/trigger"] == "schedule"
    monkeypatch.setenv(run_tags.TRIGGER_ENV, "cron")
    with pytest.raises(ValueError, match="unknown run trigger"):
        run_tags.tags([])
    with pytest.raises(ValueError, match="unknown run trigger"):
        run_tags.environment("cron")
