"""``TaskRun.in_thread``: the work is told to stop on cancel and timeout, and its outcome is consumed."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from faceswap.errors import CancelledError, TaskTimeoutError
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.context import WorkerContext
from faceswap.service.tasks.model import TaskCreate
from faceswap.storage.open import storage_from_settings
from tests.service.helpers import service_settings


@pytest_asyncio.fixture
async def run(tmp_path: Path) -> AsyncIterator[TaskRun]:
    settings = service_settings(tmp_path, image_timeout_s=1)
    storage = storage_from_settings(settings)
    task = TaskCreate.model_validate(
        {
            "workflow": "face_swap",
            "params": {"input_data": {"wf_json": {"source_url": "s", "target_url": "t"}}},
        }
    )
    try:
        yield TaskRun(task_id="b" * 32, task=task, worker=WorkerContext.from_settings(settings, storage))
    finally:
        await storage.aclose()


def stoppable(run: TaskRun, started: threading.Event) -> None:
    """Work that runs until told to stop, then raises as the video loop does."""
    started.set()
    if not run.cancelled.wait(10):
        raise AssertionError("never told to stop")
    raise CancelledError("stopped at the next batch")


def unretrieved(reports: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("message")) for r in reports if "never retrieved" in str(r.get("message"))]


async def settle() -> None:
    """Lets the stopped thread end and its future be collected (asyncio reports on collection)."""
    for _ in range(20):
        await asyncio.sleep(0.02)
        gc.collect()


@pytest.fixture
def reports() -> list[dict[str, Any]]:
    """What the event loop's exception handler was given (each test installs the handler)."""
    return []


async def test_a_cancelled_task_stops_its_work_and_consumes_its_error(
    run: TaskRun, reports: list[dict[str, Any]]
) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: reports.append(context))
    started = threading.Event()
    task = asyncio.create_task(run.in_thread("video", stoppable, run, started))
    while not started.is_set():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.should_cancel()
    await settle()
    assert unretrieved(reports) == []


async def test_a_timed_out_task_stops_its_work_and_consumes_its_error(
    run: TaskRun, reports: list[dict[str, Any]]
) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: reports.append(context))
    started = threading.Event()
    with pytest.raises(TaskTimeoutError):
        await run.in_thread("image", stoppable, run, started)
    assert run.should_cancel()
    await settle()
    assert unretrieved(reports) == []


async def test_the_result_of_work_that_finishes_is_returned(run: TaskRun) -> None:
    assert await run.in_thread("image", lambda a, b: a + b, 2, 3) == 5
