"""A slow origin holds a task's worker for one fetch cap, not one per attempt: the timeout is final."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from tests.net.conftest import serving
from tests.service.helpers import running_worker, service_settings


async def test_a_slow_input_fails_the_task_once_after_one_cap(any_queue: Any, tmp_path: Path) -> None:
    with serving() as server:
        await slow_task(any_queue, server.url("/slow"), tmp_path)
        assert server.requests.count("/slow") == 1


async def slow_task(any_queue: Any, slow: str, tmp_path: Path) -> None:
    settings = service_settings(tmp_path, retries=3)
    settings.fetch.timeout_s = 0.8
    client = TaskClient(any_queue, settings.service)
    wf = {"source_url": slow, "target_url": slow}
    create = TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})
    async with running_worker(any_queue, settings):
        started = time.monotonic()
        task = await client.submit(create)
        done = await client.wait(task.task_id, timeout=30)
        elapsed = time.monotonic() - started
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "url_fetch_timeout"
    assert done.attempts == 1
    assert elapsed < 3 * 0.8  # three attempts would take at least three caps
