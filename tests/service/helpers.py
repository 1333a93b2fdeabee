"""Helpers for service tests: settings for a temporary data dir, a running in-process worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.config import EngineSettings, InputLimits, ServiceSettings, Settings
from faceswap.service.processors.context import WorkerContext
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import Task, TaskCreate
from faceswap.service.worker.runner import build_worker
from faceswap.storage.open import storage_from_settings


def service_settings(data_dir: Path, queue_url: str = "", **service: Any) -> Settings:
    fast: dict[str, Any] = {"retry_delay_s": 0.0, "abort_poll_s": 0.2, "sweep_interval_s": 1, **service}
    return Settings(
        data_dir=data_dir,
        engine=EngineSettings(engine="classic"),
        queue={"url": queue_url},  # type: ignore[arg-type]
        service=ServiceSettings(**fast),
        # test servers (webhook receivers, input hosts) listen on loopback, which the SSRF guard refuses
        fetch={"allow_private": ["127.0.0.1"]},  # type: ignore[arg-type]
    )


@asynccontextmanager
async def running_worker(queue: Any, settings: Settings) -> AsyncIterator[WorkerContext]:
    """An in-process worker on ``queue`` until the block ends."""
    storage = storage_from_settings(settings)
    context = WorkerContext.from_settings(settings, storage)
    worker = build_worker(queue, context, handle_signals=False)
    task = asyncio.create_task(worker.start())
    deadline = time.monotonic() + 10
    while worker.id not in (await queue.info())["workers"]:
        assert time.monotonic() < deadline, "the worker did not start"
        await asyncio.sleep(0.05)
    try:
        yield context
    finally:
        await worker.stop()
        await asyncio.wait_for(task, 30)
        await storage.aclose()


async def run_classic_task(
    queue: Any, tmp_path: Path, create: TaskCreate, limits: InputLimits | None = None
) -> tuple[Task, np.ndarray | None]:
    """Runs ``create`` on a worker with the classic engine (models, if any, under ``tmp_path / "models"``);
    the finished task and, when it completed, its decoded image."""
    update: dict[str, Any] = {"engine": EngineSettings(engine="classic", providers=["cpu"])}
    if limits is not None:
        update["limits"] = limits
    settings = service_settings(tmp_path).model_copy(update=update)
    client = TaskClient(queue, settings.service)
    async with running_worker(queue, settings) as worker:
        created = await client.submit(create)
        done = await client.wait(created.task_id, timeout=60)
        if done.status != "COMPLETED":
            return done, None
        assert done.result is not None
        data = await worker.storage.get(done.result["file_id"])
    return done, cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
