"""Accounts of every role on the small state, and signed-in clients for the dashboard and
auditor tests (server-side with Starlette's TestClient, in the browser with a real uvicorn);
`published_rows` reads the published snapshot the pages read, to compare them with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
from fastapi.testclient import TestClient

from sped.config.settings import Installation
from sped.run.steps import open_registry
from sped.web.app import create_app

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class People:
    state: str
    district: str
    auditor: str
    own_lea: str
    other_lea: str
    state_token: str
    district_token: str
    auditor_token: str


def add_people(inst: Installation, leas: list[str]) -> People:
    """One account per role (the district one belongs to the first LEA) with API tokens."""
    with open_registry(inst) as reg:
        reg.add_account("analyst", "state", password=PASSWORD)
        reg.add_account("clerk", "district", [leas[0]], password=PASSWORD)
        reg.add_account("auditor", "auditor", password=PASSWORD)
        tokens = [reg.create_token(name) for name in ("analyst", "clerk", "auditor")]
    return People("analyst", "clerk", "auditor", leas[0], leas[1], *tokens)


def add_people_of(inst: Installation) -> People:
    """`add_people` over the LEAs of the installation's published directory, in id order."""
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        leas = [r[0] for r in con.execute("SELECT lea_id FROM marts.dim_lea ORDER BY 1").fetchall()]
    finally:
        con.close()
    return add_people(inst, leas)


def clients_of(app, people: People) -> dict[str, TestClient]:
    """A client signed in for each role, and an anonymous one."""
    names = {"state": people.state, "district": people.district, "auditor": people.auditor}
    return {role: signed_in(app, name) for role, name in {**names, "anonymous": None}.items()}


def app_for(inst: Installation, as_of: str):
    return create_app(inst, as_of=as_of, start_pipeline=False)


def signed_in(app, account: str | None) -> TestClient:
    """A client signed in as `account` (anonymous when None)."""
    client = TestClient(app, follow_redirects=False)
    if account is None:
        return client
    page = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post("/signin", data={"account": account, "password": PASSWORD, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    return client


def published_rows(inst: Installation, sql: str) -> list[dict]:
    """The rows of a query on the installation's published snapshot, as dicts."""
    con = duckdb.connect(str(inst.published_warehouse), read_only=True)
    try:
        return con.sql(sql).pl().to_dicts()
    finally:
        con.close()
