"""HTTP details at the edge: error answers declared in OpenAPI, ``Allow`` on 405, oversized form fields as
``input_too_large``, and error messages that show neither whole inputs nor server paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from fastapi.testclient import TestClient

from faceswap.errors import MAX_PUBLIC_MESSAGE, FaceswapError, UnreadableInputError, public_message
from faceswap.service.api.app import create_app
from faceswap.service.processors import face_swap
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from faceswap.video.probe import probe
from tests.service.conftest import GRACE
from tests.service.helpers import running_worker, service_settings
from tests.video.videoclips import write_clip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        yield client


def error_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert body["success"] is False
    return dict(body["error"])


def test_every_operation_declares_its_error_answers_as_the_envelope(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 15
    for operation in operations:
        for status in ("400", "404", "415", "422"):
            answer = operation["responses"].get(status)
            assert answer is not None, (operation["operationId"], status)
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, operation["operationId"]
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert set(envelope["properties"]) == {"success", "error"}


def test_a_wrong_method_answers_405_with_allow(client: TestClient) -> None:
    response = client.put("/api/tasks/create")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert error_of(response)["code"] == "http_405"
    response = client.delete("/api/health")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("multipart", [False, True])
def test_base64_over_the_form_field_cap_is_input_too_large_pointing_at_upload(
    client: TestClient, multipart: bool
) -> None:
    big = "A" * (1100 * 1024)
    fields = {"source_base64": big, "target_base64": "AAAA"}
    if multipart:
        files = {"target_image": ("g.jpg", GRACE.read_bytes())}
        response = client.post("/api/single-image-swap", data={"source_base64": big}, files=files)
    else:
        response = client.post("/api/single-image-swap", data=fields)
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "input_too_large"
    assert "/api/upload" in error["message"]


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    secret = "s3cr3t" * 1000
    body = {"workflow": secret, "params": {"input_data": {"wf_json": {"target_url": secret}}}}
    response = client.post("/api/tasks/create", json=body)
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert "s3cr3t" not in message
    assert len(message) <= MAX_PUBLIC_MESSAGE


def test_public_messages_cut_paths_and_length() -> None:
    assert public_message("cannot read '/var/lib/faceswap/tmp/task-1/input.mp4': bad") == (
        "cannot read 'input.mp4': bad"
    )
    kept = "fetch https://cdn.example.com/a/b/c.png failed; send it with POST /api/upload"
    assert public_message(kept) == kept
    assert public_message("results/t/a/output.png is gone") == "results/t/a/output.png is gone"
    assert len(public_message("x" * 5000)) == MAX_PUBLIC_MESSAGE
    assert FaceswapError("at /srv/data/files/x.png").to_dict()["message"] == "at x.png"


def test_a_broken_video_names_no_server_path(tmp_path: Path) -> None:
    broken = tmp_path / "scratch" / "input.mp4"
    broken.parent.mkdir()
    write_clip(tmp_path / "clip.mp4")
    broken.write_bytes((tmp_path / "clip.mp4").read_bytes()[:2000])
    with pytest.raises(UnreadableInputError) as info:
        probe(broken)
    assert str(tmp_path) not in info.value.message
    with pytest.raises(av.FFmpegError) as raw:
        av.open(str(broken))
    assert str(tmp_path) in str(raw.value)  # what PyAV itself says


async def test_an_internal_error_is_recorded_without_its_text(
    any_queue: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception's text (a library's assertion, paths) stays in the log."""
    settings = service_settings(tmp_path)
    client = TaskClient(any_queue, settings.service)
    wf = {"source_url": "data:image/png;base64,AAAA", "target_url": "data:image/png;base64,AAAA"}
    create = TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})

    async def explode(run: Any) -> dict[str, Any]:
        raise RuntimeError(f"assertion failed in {tmp_path}/opencv/resize.cpp: secret detail")

    monkeypatch.setattr(face_swap, "process", explode)
    async with running_worker(any_queue, settings):
        task = await client.submit(create)
        done = await client.wait(task.task_id, timeout=30)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "internal_error"
    assert "RuntimeError" in done.error.message
    assert "secret detail" not in done.error.message
    assert str(tmp_path) not in done.error.message


def test_saved_names_keep_the_stored_extension_and_only_safe_characters() -> None:
    from faceswap.service.api.served import saved_name

    assert saved_name("astronaut-swapped.png", "output.png") == "astronaut-swapped.png"
    assert saved_name("astronaut-swapped.html", "output.png") == "astronaut-swapped.png"  # the bytes decide
    assert saved_name('a"b; c/../d.png', "output.jpg") == "a-b-c-..-d.jpg"
    assert saved_name("", "output.png") == "output.png"
    assert saved_name("...", "output.png") == "output.png"
    assert saved_name(None, "output.mp4") == "output.mp4"
