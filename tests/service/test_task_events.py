"""Every end of a task sends its webhook and is counted, on SQLite, Redis and PostgreSQL: also the ends that
no worker writes, a queued task cancelled by its client and a task a sweep gives up on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from saq.job import Status

from faceswap.service.metrics import ServiceMetrics
from faceswap.service.task_events import TaskEvents, task_events
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from tests.queue.jobs import make_stuck, start
from tests.service.helpers import service_settings

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver on loopback: its URL and the bodies it got."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def task(webhook: str) -> TaskCreate:
    wf = {"source_url": "abc", "target_url": "def"}
    return TaskCreate.model_validate(
        {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}, "webhook": webhook}
    )


def finished(metrics: ServiceMetrics, status: str, code: str) -> float:
    families = text_string_to_metric_families(metrics.exposition().decode())
    return sum(
        s.value
        for f in families
        for s in f.samples
        if s.name == "faceswap_tasks_finished_total"
        and s.labels["status"] == status
        and s.labels["code"] == code
    )


async def test_a_cancelled_queued_task_and_a_swept_one_send_their_webhooks(
    any_queue: Any, tmp_path: Path, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = hook
    settings = service_settings(tmp_path, heartbeat_s=2, retries=1)
    metrics = ServiceMetrics()
    events = task_events(any_queue, settings, metrics)
    assert task_events(any_queue, settings, metrics) is events  # one listener per queue
    client = TaskClient(any_queue, settings.service)

    queued = await client.submit(task(url))
    assert (await client.cancel(queued.task_id)).status == "CANCELLED"
    lost = await client.submit(task(url))
    await start(any_queue, lost.task_id, "dies")
    await make_stuck(any_queue, lost.task_id)
    assert any(key.endswith(lost.task_id) for key in await any_queue.sweep(lock=1))
    await events.drain(10)

    seen = [(body["taskId"], body["status"], (body.get("error") or {}).get("code")) for body in received]
    assert sorted(seen, key=lambda s: (s[0] == lost.task_id, s[1] == "FAILED")) == [
        (queued.task_id, "CANCELLED", None),
        (lost.task_id, "PROCESSING", None),
        (lost.task_id, "FAILED", "worker_lost"),
    ]
    assert finished(metrics, "CANCELLED", "") == 1
    assert finished(metrics, "FAILED", "worker_lost") == 1


async def test_a_write_the_lifecycle_refuses_sends_nothing(
    any_queue: Any, tmp_path: Path, hook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = hook
    settings = service_settings(tmp_path)
    events = TaskEvents(settings)
    any_queue.on_transition(events)
    client = TaskClient(any_queue, settings.service)
    created = await client.submit(task(url))
    job = await start(any_queue, created.task_id, "w")
    late = any_queue.copy(job)
    await job.finish(Status.COMPLETE, result={"file_id": "x"})
    await late.finish(Status.COMPLETE, result={"file_id": "y"})  # a second completion: refused
    await events.drain(10)
    assert [body["status"] for body in received] == ["PROCESSING", "COMPLETED"]
    assert (await client.get(created.task_id)).result == {"file_id": "x"}
