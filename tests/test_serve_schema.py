"""Schemathesis against the app's own OpenAPI schema: whatever it generates,
valid or deliberately invalid, gets no 5xx, and every answer (status, content
type, body) matches what the schema promises.

Driven through Hypothesis directly (`operation.as_strategy()`), because
schemathesis' pytest plugin does not run under this pytest.
"""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from test_serve_api import serve_reader

from digitlab.serve.app import create_app

OPERATIONS = [("/api/predict", "POST"), ("/api/read", "POST"), ("/api/models", "GET"),
              ("/api/health", "GET"), ("/api/corrections", "POST"), ("/api/corrections", "GET"),
              ("/api/corrections", "DELETE"), ("/api/corrections/{correction_id}", "DELETE")]


@pytest.fixture(scope="module")
def api_schema(mnist_dir, tmp_path_factory):
    app = create_app(reader=serve_reader(mnist_dir), max_body_bytes=2**20,
                     corrections_db=tmp_path_factory.mktemp("schema") / "corrections.db")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_schema_lists_every_operation(api_schema):
    listed = {(op.ok().path, op.ok().method.upper()) for op in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize("path, method, mode", [
    *[(path, method, GenerationMode.POSITIVE) for path, method in OPERATIONS],
    # the other GET endpoints take nothing, so there is nothing to get wrong
    *[(path, method, GenerationMode.NEGATIVE) for path, method in OPERATIONS if method == "POST"],
    ("/api/corrections", "GET", GenerationMode.NEGATIVE),  # offset and limit out of range
    ("/api/corrections/{correction_id}", "DELETE", GenerationMode.NEGATIVE),
])
def test_api_keeps_its_schema(api_schema, path, method, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        # A string the schema allows is not always a picture (`image` is any
        # base64 text), so a schema-valid request may rightly get 422.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
