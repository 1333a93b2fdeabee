"""Schemathesis against the OpenAPI schema of a live ``faceswap serve`` (a subprocess on a free port):
requests generated from every operation's schema, valid and not, never get a 500, every error comes in
the documented ``{"success": false, "error": {"code", "message"}}`` envelope, and every answer conforms
to the schema (a declared status code, content type, body and headers).

Bounded: a few examples per operation and generation mode (``MAX_EXAMPLES``; positive: schema-valid
requests, negative: invalid ones), no shrinking, 30 s per request. The worker routes are fuzzed too, with a
worker token (their long poll asked not to wait). A negative mode that cannot be generated for an operation
(one with only free-form string path parameters) is skipped for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service.live import Live, start_server

MAX_EXAMPLES = 6
WORKER_TOKEN = "schema-test-worker-token"


@pytest.fixture(scope="module")
def live_schema_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = start_server(
        tmp_path_factory.mktemp("schema"), workers=1, process_timeout_s="5", worker_tokens=WORKER_TOKEN
    )
    try:
        yield server
    finally:
        server.stop()


def error_envelope(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx/5xx answer is ``{"success": false, "error": {"code": str, "message": str}}``."""
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), f"{response.status_code}: not a JSON object: {response.text[:200]}"
    assert body.get("success") is False, f"{response.status_code}: no success=false: {body}"
    error = body.get("error")
    assert isinstance(error, dict), f"{response.status_code}: no error object: {body}"
    assert isinstance(error.get("code"), str), f"{response.status_code}: no error code: {body}"
    assert error["code"], body
    assert isinstance(error.get("message"), str), f"{response.status_code}: no error message: {body}"


CHECKS = [
    not_a_server_error,
    error_envelope,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
"""No 500; errors in the envelope; and every answer as the schema declares it: its status code, content
type, body schema (the declared error answers included) and headers."""


def test_api_answers_every_generated_request_without_500_and_in_the_error_envelope(
    live_schema_server: Live,
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_schema_server.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        worker_route = operation.path.startswith("/api/comm/")
        headers = {"Authorization": f"Bearer {WORKER_TOKEN}"} if worker_route else None
        query = {"timeout": 0} if operation.path == "/api/comm/task/fetch" else None
        for mode in GenerationMode:
            try:
                check_operation(operation.as_strategy(mode, query=query), headers)
            except Unsatisfiable:
                continue
            except Exception as exc:  # every operation runs; the failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert operations >= 15  # the schema was read: every route of the API is in it
    assert not failures, "\n\n".join(failures)


def check_operation(strategy: Any, headers: dict[str, str] | None) -> None:
    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(timeout=30, headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()
