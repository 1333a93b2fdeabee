"""Input limits at the API edge (bytes, type by content, image pixels) and in the worker (video length)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faceswap.config import InputLimits, Settings
from faceswap.service.api.app import create_app
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from tests.limits.conftest import with_png_size
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import running_worker, service_settings
from tests.video.videoclips import write_clip


def client_for(tmp_path: Path, **limits: Any) -> TestClient:
    settings = service_settings(tmp_path)
    settings = settings.model_copy(update={"limits": InputLimits(**limits)})
    return TestClient(create_app(settings))


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    """A byte limit between the two photos' sizes, a pixel limit that Grace Hopper's 512x600 just meets."""
    with client_for(tmp_path, max_bytes=200_000, max_image_pixels=512 * 600) as client:
        yield client


def error(response: Any) -> tuple[int, str]:
    body = response.json()
    assert body["success"] is False
    return response.status_code, body["error"]["code"]


def test_old_upload_setting_is_an_alias_of_the_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_SERVICE__MAX_UPLOAD_MB", "2")
    assert Settings().limits.max_bytes == 2 * 1024 * 1024
    monkeypatch.setenv("FACESWAP_LIMITS__MAX_BYTES", "1000")
    settings = Settings()
    assert settings.limits.max_bytes == 1000  # the new name wins
    assert settings.service.max_upload_mb == pytest.approx(1000 / 1024 / 1024)


def test_uploads_over_the_byte_limit_are_refused(small: TestClient) -> None:
    assert GRACE.stat().st_size < 200_000 < ASTRONAUT.stat().st_size
    response = small.post("/api/upload", files={"file": ("a.png", ASTRONAUT.read_bytes())})
    assert error(response) == (413, "input_too_large")


def test_image_pixels_are_checked_from_the_header(small: TestClient) -> None:
    bomb = with_png_size(_tiny_png(), 40_000, 40_000)
    response = small.post("/api/upload", files={"file": ("bomb.png", bomb)})
    assert error(response) == (413, "input_too_large")
    assert small.post("/api/upload", files={"file": ("g.jpg", GRACE.read_bytes())}).status_code == 200


def test_inline_base64_inputs_are_checked_like_uploads(small: TestClient) -> None:
    bomb = base64.b64encode(with_png_size(_tiny_png(), 40_000, 40_000)).decode()
    response = small.post(
        "/api/single-image-swap", data={"source_base64": bomb, "target_base64": _b64(GRACE)}
    )
    assert error(response) == (413, "input_too_large")
    body = {
        "workflow": "face_swap",
        "params": {
            "input_data": {
                "wf_json": {
                    "source_url": "data:image/png;base64," + bomb,
                    "target_url": "data:image/jpeg;base64," + _b64(GRACE),
                }
            }
        },
    }
    assert error(small.post("/api/tasks/create", json=body)) == (413, "input_too_large")


def test_type_is_told_by_content_not_by_name(small: TestClient) -> None:
    response = small.post("/api/upload", files={"file": ("photo.png", b"#!/bin/sh\necho hello\n" * 10)})
    assert error(response) == (415, "unsupported_format")
    truncated = _tiny_png()[:8] + b"\x00" * 64
    assert error(small.post("/api/upload", files={"file": ("t.png", truncated)}))[0] in (415, 422)
    renamed = small.post("/api/upload", files={"file": ("video.mp4", GRACE.read_bytes())})
    assert renamed.json()["data"]["media_type"] == "jpeg"


async def test_a_video_over_the_length_limit_fails_its_task_in_the_worker(tmp_path: Path) -> None:
    """The API stores videos after the size and type check; their length needs PyAV, so the worker
    checks it before any work and fails the task ``input_too_large`` (not retried)."""
    clip = write_clip(tmp_path / "clip.mp4", frame_ms=(40,) * 50, audio=False)  # 2 s
    settings = service_settings(tmp_path / "data", retries=3)
    settings = settings.model_copy(update={"limits": InputLimits(max_video_seconds=1.0)})
    from faceswap.service.queue import open_queue

    queue = open_queue("", data_dir=settings.data_dir)
    await queue.connect()
    try:
        client = TaskClient(queue, settings.service)
        async with running_worker(queue, settings):
            wf = {
                "source_url": "data:image/png;base64," + _b64(ASTRONAUT),
                "target_url": "data:video/mp4;base64," + _b64(clip.path),
            }
            create = TaskCreate.model_validate(
                {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
            )
            done = await client.wait((await client.submit(create)).task_id, timeout=60)
    finally:
        await queue.disconnect()
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "input_too_large"
    assert "1 s" in done.error.message
    assert done.attempts == 1


@pytest.mark.parametrize(("size", "words"), [((1, 3000), "too thin"), ((1, 1), "too small")])
def test_a_target_without_room_for_a_face_fails_its_task_as_bad_input(
    tmp_path: Path, size: tuple[int, int], words: str
) -> None:
    """Uploaded as the target of a legacy swap: the worker refuses it when it checks the inputs,
    ``bad_input`` with its size (not an engine's ``internal_error``), and does not retry it."""
    with TestClient(create_app(service_settings(tmp_path, retries=3), workers=1)) as client:
        files = {
            "source_image": ("g.jpg", GRACE.read_bytes()),
            "target_image": ("strip.png", _png(*size)),
        }
        job = client.post("/api/single-image-swap", files=files).json()["data"]
        status = _finished(client, job["job_id"])
        task = client.get(f"/api/tasks/{job['job_id']}").json()["data"]
    width, height = size
    assert status["status"] == "failed"
    assert status["error_code"] == "bad_input"
    assert status["error_message"].startswith(
        f"the target is {width}x{height} pixels, {words} to hold a face"
    )
    assert task["attempts"] == 1  # not transient: not retried


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        status: dict[str, Any] = client.get(f"/api/status/{job_id}").json()["data"]
        if status["status"] in ("completed", "failed", "cancelled"):
            return status
        assert time.monotonic() < deadline, f"job {job_id} stayed {status['status']}"
        time.sleep(0.05)


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 100, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()
