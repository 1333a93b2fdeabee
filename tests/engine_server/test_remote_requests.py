"""The remote_engine processor tells the swap service to stop a request it no longer waits for: when its
task is cancelled (by the run's cancel event or by cancelling its coroutine) and when it gives a try up
on a timeout. The service here never answers, and records what it was asked."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from faceswap.errors import CancelledError, RemoteEngineUnavailableError
from faceswap.service.processors import remote_engine
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.context import WorkerContext
from faceswap.service.tasks.model import TaskCreate
from faceswap.storage.open import storage_from_settings
from tests.comfyui.standin import serve
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import service_settings


@dataclass
class Silent:
    """A swap service that is healthy but answers no ``POST /process`` (for 5 s or until its client hangs
    up, then 503)."""

    started: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        @app.post("/process")
        async def process(request: Request) -> JSONResponse:
            self.started.append(request.headers.get("x-request-id", ""))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.05)
            return JSONResponse({"error": {"code": "engine_unavailable", "message": "slow"}}, 503)

        @app.post("/cancel/{request_id}")
        async def cancel(request_id: str) -> JSONResponse:
            self.cancelled.append(request_id)
            return JSONResponse({"request_id": request_id, "status": "cancelling"}, 202)

        return app


@pytest.fixture
def service() -> Iterator[tuple[Silent, str]]:
    silent = Silent()
    with serve(silent.app()) as url:
        yield silent, url


def data_url(path: Path, kind: str) -> str:
    return f"data:image/{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


@pytest_asyncio.fixture
async def run(tmp_path: Path, service: tuple[Silent, str]) -> AsyncIterator[TaskRun]:
    settings = service_settings(tmp_path)
    settings.remote_engine.url = service[1]
    settings.remote_engine.backoff_s = 0.0
    storage = storage_from_settings(settings)
    wf = {"source_url": data_url(ASTRONAUT, "png"), "target_url": data_url(GRACE, "jpeg")}
    task = TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})
    try:
        yield TaskRun(task_id="a" * 32, task=task, worker=WorkerContext.from_settings(settings, storage))
    finally:
        await storage.aclose()


async def started(silent: Silent, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(silent.started) < count:
        assert time.monotonic() < deadline, "the request never reached the service"
        await asyncio.sleep(0.02)


async def test_a_cancelled_task_cancels_its_request_at_the_service(
    run: TaskRun, service: tuple[Silent, str]
) -> None:
    silent, _ = service
    work = asyncio.create_task(remote_engine.process(run))
    await started(silent, 1)
    asked = time.monotonic()
    run.cancelled.set()  # what the worker's watcher does when the task is cancelled
    with pytest.raises(CancelledError):
        await work
    assert time.monotonic() - asked < 2
    assert silent.cancelled == silent.started
    assert silent.started[0].startswith(f"{run.task_id}-")


async def test_a_cancelled_coroutine_cancels_its_request_at_the_service(
    run: TaskRun, service: tuple[Silent, str]
) -> None:
    silent, _ = service
    work = asyncio.create_task(remote_engine.process(run))
    await started(silent, 1)
    work.cancel()  # what the queue does to a cancelled task's coroutine
    with pytest.raises(asyncio.CancelledError):
        await work
    assert silent.cancelled == silent.started


async def test_a_try_given_up_on_a_timeout_is_cancelled_before_the_next(
    run: TaskRun, service: tuple[Silent, str]
) -> None:
    silent, _ = service
    run.worker.settings.remote_engine.timeout_s = 0.5
    run.worker.settings.remote_engine.attempts = 2
    with pytest.raises(RemoteEngineUnavailableError, match="failed 2 tries"):
        await remote_engine.process(run)
    assert len(silent.started) == 2
    assert len(set(silent.started)) == 2  # each try has an id of its own
    assert silent.cancelled == silent.started
