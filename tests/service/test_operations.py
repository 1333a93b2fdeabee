"""Operations: Prometheus ``/metrics`` (API and a worker's ``--metrics-port``), JSON log lines, and a
task's expected failure logged as one line with its task id, without a traceback."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from faceswap.errors import (
    CancelledError,
    ModelMissingError,
    NoFaceInTargetError,
    StorageUnavailableError,
    UnreadableInputError,
    log_level,
)
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live, free_port, start_server, wait_status

DONE = {"COMPLETED", "FAILED", "CANCELLED"}
Samples = list[tuple[str, dict[str, str], float]]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = start_server(tmp_path_factory.mktemp("ops"), cli_options=("-v", "--log-format", "json"))
    try:
        yield server
    finally:
        server.stop()


def samples(text: str) -> Samples:
    return [
        (s.name, dict(s.labels), s.value) for f in text_string_to_metric_families(text) for s in f.samples
    ]


def value(found: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(v for n, lab, v in found if n == name and all(lab.get(k) == x for k, x in labels.items()))


def faceless_png() -> bytes:
    noise = np.random.default_rng(3).integers(0, 255, (360, 360, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    return buffer.getvalue()


def swap(client: httpx.Client, target: tuple[str, bytes]) -> dict[str, Any]:
    created = client.post(
        "/api/single-image-swap",
        files={"source_image": (ASTRONAUT.name, ASTRONAUT.read_bytes()), "target_image": target},
    ).json()
    return wait_status(client, created["data"]["job_id"], DONE)


@pytest.fixture(scope="module")
def ran(live: Live) -> tuple[dict[str, Any], dict[str, Any]]:
    """One task that completed and one that failed for want of a face in its target."""
    with live.client() as client:
        good = swap(client, (GRACE.name, GRACE.read_bytes()))
        bad = swap(client, ("noise.png", faceless_png()))
    assert good["status"] == "COMPLETED", good["error"]
    assert bad["status"] == "FAILED"
    return good, bad


def test_metrics_count_tasks_requests_engine_loads_and_the_queue(
    live: Live, ran: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    good, bad = ran
    code = bad["error"]["code"]
    with live.client() as client:
        client.get(f"/api/tasks/{good['taskId']}")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert value(found, "faceswap_tasks_created_total", workflow="face_swap") == 2
    assert value(found, "faceswap_tasks_finished_total", status="COMPLETED", code="") == 1
    assert value(found, "faceswap_tasks_finished_total", status="FAILED", code=code) == 1
    assert value(found, "faceswap_task_duration_seconds_count", workflow="face_swap") == 2
    assert value(found, "faceswap_engine_load_seconds_count", engine="classic") == 1
    routes = {lab["route"] for n, lab, _ in found if n == "faceswap_http_request_duration_seconds_count"}
    assert "/api/tasks/{task_id}" in routes
    assert not any(str(good["taskId"]) in route for route in routes)  # templates, never raw paths
    assert value(found, "faceswap_queue_tasks", state="queued") == 0
    deadline = time.monotonic() + 15
    while not value(found, "faceswap_workers") and time.monotonic() < deadline:
        time.sleep(0.5)  # a worker's heartbeat reaches the queue every few seconds
        found = samples(httpx.get(f"{live.url}/metrics", timeout=10).text)
    assert value(found, "faceswap_workers") == 1


def test_an_expected_failure_is_one_json_line_with_the_task_id_and_no_traceback(
    live: Live, ran: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, bad = ran
    time.sleep(0.5)  # the worker's after-process hook logs after the task's status is written
    lines = [json.loads(line) for line in live.log.read_text().splitlines() if line.startswith("{")]
    assert lines, "no JSON log line"
    assert all({"asctime", "levelname", "name", "message"} <= line.keys() for line in lines)
    about = [line for line in lines if line.get("task_id") == bad["taskId"]]
    assert [(line["levelname"], line["code"]) for line in about] == [("INFO", bad["error"]["code"])]
    assert not [line for line in lines if line["levelname"] == "ERROR"]
    assert "Traceback" not in live.log.read_text()


def test_log_levels_of_task_failures() -> None:
    assert log_level(CancelledError("cancelled by the client")) == logging.INFO
    assert log_level(NoFaceInTargetError("no face")) == logging.INFO
    assert log_level(UnreadableInputError("truncated")) == logging.INFO
    assert log_level(ModelMissingError("inswapper_128", "inswapper_128.onnx")) == logging.WARNING
    assert log_level(StorageUnavailableError("down")) == logging.WARNING


def test_metrics_can_be_turned_off(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=0, metrics="false")
    try:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 404
    finally:
        server.stop()


def test_a_worker_process_serves_its_own_metrics(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=0)
    port = free_port()
    try:
        server.start_worker("--metrics-port", str(port))
        with server.client() as client:
            task = swap(client, (GRACE.name, GRACE.read_bytes()))
        assert task["status"] == "COMPLETED", task["error"]
        deadline = time.monotonic() + 10
        while True:  # the count lands in the after-process hook, just after the status
            found = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
            if (
                value(found, "faceswap_tasks_finished_total", status="COMPLETED")
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.1)
        assert value(found, "faceswap_tasks_finished_total", status="COMPLETED", code="") == 1
        assert value(found, "faceswap_engine_load_seconds_count", engine="classic") == 1
    finally:
        server.stop()


async def test_a_refused_webhook_is_logged_with_its_task_id(caplog: pytest.LogCaptureFixture) -> None:
    from faceswap.service.webhooks import deliver

    with caplog.at_level(logging.INFO, logger="faceswap.service.webhooks"):
        sent = await deliver("http://10.1.2.3/hook", {"x": 1}, secret=None, attempts=3, task_id="t-42")
    assert sent is False
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1  # refused once, not retried
    assert getattr(refused[0], "task_id", None) == "t-42"
    assert "t-42" in refused[0].getMessage()
