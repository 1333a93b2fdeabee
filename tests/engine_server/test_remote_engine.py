"""Swaps delegated to a live ``faceswap engine-serve`` (classic engine) by the API's worker, end to end."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.engine_server.servers import Process, start_api, start_engine
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import wait_status


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Process]:
    live = start_engine(tmp_path / "engine")
    try:
        yield live
    finally:
        live.stop()


def upload(client: httpx.Client, path: Path) -> str:
    answer = client.post("/api/upload", files={"file": (path.name, path.read_bytes())})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["file_id"])


def test_an_image_task_is_completed_through_the_engine_service(tmp_path: Path, engine: Process) -> None:
    api = start_api(tmp_path / "api", engine.url)
    try:
        with httpx.Client(base_url=api.url, timeout=60) as client:
            body = {"source_url": upload(client, GRACE), "target_url": upload(client, ASTRONAUT)}
            created = client.post("/api/face-swap/create-task", json=body)
            assert created.status_code == 200, created.text
            task = wait_status(client, created.json()["task_id"], {"COMPLETED", "FAILED"}, timeout=120)
            assert task["status"] == "COMPLETED", task["error"]
            result = task["result"]
            assert isinstance(result, dict)
            assert result["engine"] == "remote"
            assert result["remote"]["job_id"]
            assert result["faces_swapped"] == 1
            swapped = client.get(result["output_url"])
            assert swapped.status_code == 200
            assert swapped.headers["content-type"] == "image/png"
            assert swapped.content[:8] == b"\x89PNG\r\n\x1a\n"
            assert swapped.content != ASTRONAUT.read_bytes()
    finally:
        api.stop()
    # the swap ran in the engine service, not in the API's worker
    assert "POST /process" in engine.log.read_text()
    assert "loading engine" not in api.log.read_text()


def test_the_engine_service_stopped_mid_run_is_retried_then_fails_clearly(
    tmp_path: Path, engine: Process
) -> None:
    api = start_api(
        tmp_path / "api",
        engine.url,
        FACESWAP_REMOTE_ENGINE__ATTEMPTS="3",
        FACESWAP_REMOTE_ENGINE__BACKOFF_S="0.2",
        FACESWAP_SERVICE__RETRIES="1",
    )
    try:
        with httpx.Client(base_url=api.url, timeout=60) as client:
            body = {"source_url": upload(client, GRACE), "target_url": upload(client, ASTRONAUT)}
            task_id = client.post("/api/face-swap/create-task", json=body).json()["task_id"]
            deadline = time.monotonic() + 30
            while "swap " not in engine.log.read_text():  # the engine service has started this swap
                assert time.monotonic() < deadline, "the swap never reached the engine service"
                time.sleep(0.01)
            engine.stop(signal.SIGKILL)
            task = wait_status(client, task_id, {"COMPLETED", "FAILED"}, timeout=60)
    finally:
        api.stop()
    assert task["status"] == "FAILED"
    error = task["error"]
    assert isinstance(error, dict)
    assert error["code"] == "remote_engine_unavailable"
    assert "failed 3 tries" in error["message"]
    log = api.log.read_text()
    assert log.count("swap service try") == 2  # the second and third tries were announced
