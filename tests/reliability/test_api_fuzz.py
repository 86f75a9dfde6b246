"""schemathesis against the API's own OpenAPI spec: whatever a client sends,
the API answers with a refusal (4xx) or an answer, never a 500.

The app runs in process (ASGI) on a real event log, with a worker process
on the session's Temporal dev server; requests carry a caseworker's token so
they get past authentication into the routes."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from app.api import create_app
from app.tokens import issue_token
from tests.reliability.harness import WorkerProcess, fault_settings, record_figures

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory, dev_server):
    return fault_settings(tmp_path_factory.mktemp("api"), dev_server.address)


@pytest.fixture(scope="module")
def api_schema(api_settings):
    worker = WorkerProcess(api_settings, "api-worker")
    worker.start()
    app = create_app(api_settings)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    worker.stop()


@pytest.fixture(scope="module")
def api_headers(api_settings):
    token = issue_token(api_settings, person_id="cw-anne", role="caseworker")
    return {"Authorization": f"Bearer {token}", "X-Purpose": "schemathesis"}


def test_no_request_makes_the_api_answer_500(api_schema, api_headers):
    """Each operation of the spec, with requests generated from its schema."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations, "the spec lists no operations"
    served: dict[int, int] = {}

    for operation in operations:

        @hsettings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(headers={**(case.headers or {}), **api_headers})
            served[response.status_code] = served.get(response.status_code, 0) + 1
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
            )

        call()
    record_figures(
        "schemathesis on the API",
        runs=sum(served.values()),
        lost=0,
        doubled=0,
        recovered=f"{len(operations)} operations, no 5xx",
        statuses=dict(sorted(served.items())),
    )
