"""Schemathesis over the application's own `/openapi.json`, against a real `sped serve`, with a
valid district token: whatever it sends (property-based, bounded), the answer is never a 5xx,
and every answer is JSON with a `detail` message when it is an error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from sped.web.local_server import serving
from tests.web_fixtures import AS_OF, shared_base, web_installation

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return web_installation(shared_base(tmp_path_factory), tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def base_url(web):
    with serving(web.inst.warehouse, as_of=AS_OF) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(base_url):
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_never_answers_5xx(api_schema, web, base_url, mode):
    token = {"Authorization": f"Bearer {web.tokens['district']}"}
    seen: set[str] = set()

    @given(case=api_schema.as_strategy(generation_mode=mode))
    @settings(
        max_examples=50,  # over five operations (two are the admins' end-sessions)
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one_request(case):
        answer = case.call(base_url=base_url, headers=token, timeout=60)
        seen.add(f"{case.method} {case.path}")
        assert answer.status_code < 500, (case.method, case.path, answer.status_code, answer.text)
        assert "Traceback" not in answer.text
        if answer.status_code >= 400:
            kind = answer.headers.get("content-type") or [""]
            kind = kind[0] if isinstance(kind, list) else kind
            assert kind.startswith("application/json"), kind
            assert isinstance(answer.json()["detail"], str)

    one_request()
    submissions = {"GET /api/v1/submissions", "POST /api/v1/submissions"}
    assert submissions | {"GET /api/v1/submissions/{submission_id}"} <= seen  # all tried


def test_the_openapi_description_names_the_routes_and_bearer_tokens(api_schema, base_url):
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=30) as answer:
        doc = json.load(answer)
    assert {"/api/v1/submissions", "/api/v1/submissions/{submission_id}"} <= set(doc["paths"])
    post = doc["paths"]["/api/v1/submissions"]["post"]
    assert {"201", "401", "403", "413", "422"} <= set(post["responses"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert not any(p.startswith("/district") for p in doc["paths"])  # pages are not the API
