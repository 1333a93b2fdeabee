"""The OpenAPI schema describes every answer: a ``Task`` schema, and for every operation a 2xx answer
whose schema says what it holds (a model, or the bytes of a download), never a bare object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faceswap.service.api.app import create_app
from tests.service.helpers import service_settings


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = service_settings(Path(tmp_path_factory.mktemp("openapi")), worker_tokens="a-worker-token")
    return create_app(settings).openapi()


def resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def described(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether ``schema`` says what the answer holds: a model's properties, or a typed string."""
    schema = resolved(spec, schema)
    if schema.get("type") == "string":
        return True
    return bool(schema.get("properties")) and schema.get("additionalProperties") is not True


def test_the_schema_has_a_task_model_with_its_fields(spec: dict[str, Any]) -> None:
    task = spec["components"]["schemas"]["Task"]
    assert {"taskId", "status", "progress", "result", "error", "queue_position"} <= set(task["properties"])
    envelope = resolved(spec, {"$ref": "#/components/schemas/Envelope_Task_"})
    assert envelope["properties"]["data"] == {"$ref": "#/components/schemas/Task"}


def test_every_operation_describes_its_success_answer(spec: dict[str, Any]) -> None:
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 27
    bare = []
    for path, method, operation in operations:
        answers = {status: a for status, a in operation["responses"].items() if status.startswith("2")}
        contents = [media for a in answers.values() for media in a.get("content", {}).values()]
        if not contents or not all(described(spec, media.get("schema", {})) for media in contents):
            bare.append(f"{method.upper()} {path}")
    assert bare == []


def test_json_answers_of_api_routes_are_envelopes_of_a_model(spec: dict[str, Any]) -> None:
    unenveloped = {"/api/health", "/api/face-swap/process"}  # their own shapes, as their clients expect
    for path, ops in spec["paths"].items():
        for method, operation in ops.items():
            media = operation["responses"].get("200", {}).get("content", {}).get("application/json")
            if media is None or path in unenveloped:
                continue
            envelope = resolved(spec, media["schema"])
            assert set(envelope["properties"]) >= {"success", "data"}, (method, path)
            assert described(spec, envelope["properties"]["data"]), (method, path)


def test_health_describes_its_degraded_answer_as_the_report(spec: dict[str, Any]) -> None:
    answers = spec["paths"]["/api/health"]["get"]["responses"]
    for status in ("200", "503"):
        schema = answers[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/HealthReport"}, status
