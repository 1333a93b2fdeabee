"""Helpers for service tests: settings for a temporary data dir, a running in-process worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from faceswap.config import EngineSettings, ServiceSettings, Settings
from faceswap.service.worker.context import WorkerContext
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
