"""An accepted upload is loaded without a state operator: the application starts `sped pipeline`
in the background, the next run records the outcome the upload's check showed (one validation
code path) and loads the rows, and the district page says when the figures were rebuilt. Also:
`make demo`'s demo accounts."""

from __future__ import annotations

import re

import duckdb
import pytest
from fastapi.testclient import TestClient

from sped.run.steps import open_registry
from sped.web.app import create_app
from sped.web.demo_accounts import make_demo_accounts
from tests.web_fixtures import AS_OF, good_and_bad_roster, shared_base, web_installation

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("pipe"))


def test_an_accepted_upload_is_loaded_by_the_run_the_app_starts(web):
    app = create_app(web.inst, as_of=AS_OF, start_pipeline=True)
    runner = app.state.portal.runner
    try:
        _upload_is_loaded(web, app, runner)
    finally:
        runner.close()  # what the application's shutdown does: its warm worker ends


def _upload_is_loaded(web, app, runner) -> None:
    good, _ = good_and_bad_roster(web)
    client = TestClient(app)
    answer = client.post(
        "/api/v1/submissions",
        headers={"Authorization": f"Bearer {web.tokens['district']}"},
        data={"collection": "placements", "lea_id": web.own_lea, "period": "2025-26"},
        files={"file": ("roster.csv", good, "text/csv")},
    )
    assert answer.status_code == 201, answer.text
    shown = answer.json()
    assert shown["status"] == "received" and "pipeline has been started" in shown["next_step"]
    assert runner.wait(timeout=900), "the pipeline run did not finish"
    assert runner.last_exit == 0, runner.log_path.read_text()[-3000:]
    assert runner.last_warm, "the run did not go through the warm worker"
    assert "checked at upload under the same inputs" in runner.log_path.read_text()
    with open_registry(web.inst) as reg:
        sub = reg.submission(shown["submission_id"])
        kept = sorted(f.rule_id for f in reg.findings(sub.submission_id))
    assert sub.status == "accepted"  # what the upload's check said
    from sped.frameworks.dagster_home import open_instance

    with open_instance(web.inst) as instance:  # the run names what started it and what for
        tags = instance.get_runs(limit=1)[0].tags  # sped/run/run_tags.py
    assert tags["sped/trigger"] == "portal"
    assert (tags["sped/leas"], tags["sped/collections"]) == (web.own_lea, "placements")
    assert kept == sorted(m["rule"] for m in shown["messages"])
    rows = good.count(b"\n") - 1
    with duckdb.connect(str(web.inst.published_warehouse), read_only=True) as con:
        loaded = con.execute(
            "SELECT count(*) FROM raw.placements WHERE _submission_id = ?", [sub.submission_id]
        ).fetchone()[0]
        built = con.execute("SELECT max(finished_at) FROM raw.build_log").fetchone()[0]
    assert loaded == rows
    after = client.get(f"/api/v1/submissions/{sub.submission_id}", headers={
        "Authorization": f"Bearer {web.tokens['district']}"}).json()  # fmt: skip
    assert after["status"] == "accepted" and after["next_step"].startswith("Loaded")
    page = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get("/signin").text).group(1)
    page.post("/signin", data={"account": "clerk", "password": "district-clerk-pw", "csrf": csrf})
    overview = page.get(f"/district/{web.own_lea}").text
    assert f"Figures last rebuilt {built:%Y-%m-%d %H:%M} UTC" in overview


def test_demo_accounts_one_per_role(web, capsys):
    made = make_demo_accounts(web.inst.warehouse)
    assert [m[0] for m in made] == ["demo-state", "demo-district", "demo-auditor"]
    with open_registry(web.inst) as reg:
        for name, _scope, password in made:
            found, _ = reg.sign_in(name, password, source="test")
            assert found is not None
        assert reg.account("demo-state").is_admin
        assert len(reg.account("demo-district").lea_ids) == 1
    again = make_demo_accounts(web.inst.warehouse)  # a second `make demo`: new passwords
    assert [m[2] for m in again] != [m[2] for m in made]
