"""Stopping: an idle worker or server stops at once on Ctrl-C / SIGTERM; a running task still drains.

Before the worker's upkeep loops woke on its stop event, an idle ``faceswap serve`` or ``faceswap
worker`` waited for the sweep's sleep to run out (up to ``SWEEP_INTERVAL_S``, 15 s) before it exited:
about 12 s from the signal when signalled 3 s after start, on every queue backend.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from faceswap.service.processors.context import WorkerContext
from faceswap.service.queue import open_queue
from faceswap.service.queue.sqlite import SqliteQueue
from faceswap.service.worker.runner import build_worker
from faceswap.service.worker.saq_worker import TaskWorker
from faceswap.storage.open import storage_from_settings
from tests.service.conftest import ASTRONAUT, BACKEND_URLS, clean, reachable
from tests.service.helpers import service_settings
from tests.service.live import Live, start_server
from tests.service.test_e2e_video import progress_seen, submit_video
from tests.video.videoclips import write_clip

IDLE_STOP_S = 2.5
"""Most seconds from the signal to the exit of an idle process (about 0.2-0.8 s now; 12 s before)."""


def wait_workers(live: Live, count: int, timeout: float = 30) -> None:
    """Until the queue lists ``count`` live workers (their upkeep has started)."""
    deadline = time.monotonic() + timeout
    while httpx.get(f"{live.url}/api/health", timeout=5).json()["workers"]["count"] != count:
        assert time.monotonic() < deadline, (
            f"no {count} worker(s) registered:\n{live.log.read_text()[-3000:]}"
        )
        time.sleep(0.05)


def stop_and_time(process: subprocess.Popen[bytes], sig: int) -> tuple[int, float]:
    """``process``'s exit status after ``sig``, and the seconds from the signal to its exit."""
    sent = time.monotonic()
    process.send_signal(sig)
    status = process.wait(60)
    return status, time.monotonic() - sent


# in process ----------------------------------------------------------------------------------------


async def test_an_idle_worker_stops_at_once(any_queue: Any, tmp_path: Path) -> None:
    settings = service_settings(tmp_path, sweep_interval_s=60)
    storage = storage_from_settings(settings)
    worker = build_worker(any_queue, WorkerContext.from_settings(settings, storage), handle_signals=False)
    running = asyncio.create_task(worker.start())
    deadline = time.monotonic() + 10
    while worker.id not in (await any_queue.info())["workers"]:
        assert time.monotonic() < deadline, "the worker did not start"
        await asyncio.sleep(0.05)
    asked = time.monotonic()
    await worker.stop()
    await asyncio.wait_for(running, 90)
    took = time.monotonic() - asked
    await storage.aclose()
    assert took < 1.5, f"an idle worker took {took:.2f} s to stop"


async def test_upkeep_runs_every_period_survives_a_failure_and_ends_with_the_worker(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "queue.sqlite3", name="upkeep")
    await queue.connect()
    sweeps: list[float] = []
    sweep = queue.sweep

    async def counted(lock: int = 60, abort: float = 5.0) -> list[str]:
        sweeps.append(time.monotonic())
        if len(sweeps) == 1:
            raise RuntimeError("the first sweep fails")
        return await sweep(lock, abort)

    queue.sweep = counted  # type: ignore[method-assign]

    async def noop(ctx: dict[str, Any]) -> None:
        return None

    worker = TaskWorker(
        queue,
        [("noop", noop)],
        timers=cast(Any, {"sweep": 0.1, "schedule": 60, "abort": 60, "worker_info": 60}),
        dequeue_timeout=0.1,
    )
    worker.SIGNALS = []
    running = asyncio.create_task(worker.start())
    try:
        await asyncio.sleep(0.6)
    finally:
        await worker.stop()
        await asyncio.wait_for(running, 10)
    ran = len(sweeps)
    await asyncio.sleep(0.3)
    await queue.disconnect()
    assert ran >= 3, f"the sweep ran {ran} time(s) in 0.6 s at a 0.1 s period (and went on after a failure)"
    assert len(sweeps) == ran, "upkeep went on after the worker stopped"


# real processes and signals ----------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_idle_server_stops_at_once(tmp_path: Path, sig: int) -> None:
    """``faceswap serve`` on the embedded defaults (SQLite queue, local storage, one in-process worker)."""
    live = start_server(tmp_path / "data")
    try:
        wait_workers(live, 1)
        status, took = stop_and_time(live.process, sig)
    finally:
        live.stop()
    # uvicorn raises the SIGTERM it caught again once the app has shut down: the exit names the signal
    assert status == (0 if sig == signal.SIGINT else -signal.SIGTERM), live.log.read_text()[-3000:]
    assert took < IDLE_STOP_S, f"took {took:.2f} s:\n{live.log.read_text()[-3000:]}"


@pytest.mark.parametrize(
    ("backend", "sig"),
    [
        ("sqlite", signal.SIGINT),
        ("sqlite", signal.SIGTERM),
        ("redis", signal.SIGTERM),
        ("postgres", signal.SIGTERM),
    ],
    ids=["sqlite-SIGINT", "sqlite-SIGTERM", "redis-SIGTERM", "postgres-SIGTERM"],
)
def test_an_idle_queue_worker_stops_at_once(tmp_path: Path, backend: str, sig: int) -> None:
    """``faceswap worker`` beside an API-only server on the same queue."""
    queue_env: dict[str, str] = {}
    if backend != "sqlite":
        url = BACKEND_URLS[backend]
        if not reachable(url):
            pytest.skip(f"{backend} server not reachable at {url}")
        queue_env = {"FACESWAP_QUEUE__URL": url, "FACESWAP_QUEUE__NAME": f"stop-{uuid.uuid4().hex[:12]}"}
    live = start_server(tmp_path / "data", workers=0, extra_env=queue_env)
    try:
        worker = live.start_worker()
        wait_workers(live, 1)
        status, took = stop_and_time(worker, sig)
    finally:
        live.stop()
        if queue_env:
            asyncio.run(forget_queue(queue_env, tmp_path))
    assert status == 0, live.log.read_text()[-3000:]
    assert took < IDLE_STOP_S, f"took {took:.2f} s:\n{live.log.read_text()[-3000:]}"
    # it took no task, yet its engine was loaded as it started (service.preload_engine)
    assert "engine classic loaded ahead of the tasks" in live.log.read_text()


async def forget_queue(queue_env: dict[str, str], data_dir: Path) -> None:
    queue = open_queue(
        queue_env["FACESWAP_QUEUE__URL"], name=queue_env["FACESWAP_QUEUE__NAME"], data_dir=data_dir
    )
    await queue.connect()
    try:
        await clean(queue)
    finally:
        await queue.disconnect()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 320x240 clip of a face, 40 frames (1.6 s), no audio."""
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", (320, 240), (40,) * 40, audio=False).path


def test_sigterm_drains_the_servers_in_process_worker(tmp_path: Path, clip: Path) -> None:
    """A stopping ``faceswap serve`` finishes its running task and leaves the next one queued."""
    data_dir = tmp_path / "data"
    live = start_server(data_dir)
    try:
        with live.client() as client:
            running = submit_video(client, ASTRONAUT, clip)
            progress_seen(client, running, 0.0)
            waiting = submit_video(client, ASTRONAUT, clip)
        live.process.send_signal(signal.SIGTERM)
        assert live.process.wait(90) == -signal.SIGTERM, live.log.read_text()[-3000:]
    finally:
        live.stop()
    after = start_server(data_dir, workers=0)  # the same queue file and storage, no worker
    try:
        with after.client() as client:
            task = client.get(f"/api/tasks/{running}").json()["data"]
            assert task["status"] == "COMPLETED", task
            assert task["attempts"] == 1
            left = client.get(f"/api/tasks/{waiting}").json()["data"]
            assert left["status"] == "PENDING", "a draining server's worker takes no new task"
    finally:
        after.stop()
