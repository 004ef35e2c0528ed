"""Before the first pipeline run there is no published snapshot: the dashboards, the figures
API and the auditors' figure pages say so with 404 and a message, never a server error."""

from __future__ import annotations

from sped.config.settings import Installation
from sped.run.steps import open_registry
from tests.web_dashboard_state import app_for, signed_in


def test_no_snapshot_yet_is_a_clear_404(inst: Installation):
    with open_registry(inst) as reg:
        reg.add_account("analyst", "state", password="correct horse battery staple")
        token = reg.create_token("analyst")
    app = app_for(inst, "2026-11-01")
    client = signed_in(app, "analyst")
    for path in (
        "/dashboards",
        "/dashboards/lre",
        "/dashboards/disproportionality",
        "/dashboards/disproportionality?lea_id=2500001&category=ID_ALL",
        "/dashboards/export/618.csv",
        "/auditors/aggregates/out_of_district",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "No figures are published yet" in answer.text, path
    api = client.get(
        "/api/v1/figures/out_of_district", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 404 and "published" in api.json()["detail"]
    api = client.get(
        "/api/v1/figures/significant_disproportionality",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 404
    assert client.get("/auditors/trail").status_code == 200  # the registry needs no snapshot
