"""Fixtures for the queue tests: a connected queue per backend on real servers, a running SAQ worker.

Redis and PostgreSQL are the servers on this machine (``FACESWAP_TEST_REDIS_URL`` and
``FACESWAP_TEST_POSTGRES_URL`` override where); a test skips when its server is not reachable.
Every test gets its own queue name and removes what it wrote.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from saq import Queue, Worker

from faceswap.service.queue import open_queue

REDIS_URL = os.environ.get("FACESWAP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get("FACESWAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKEND_URLS = {"sqlite": "sqlite://", "redis": REDIS_URL, "postgres": POSTGRES_URL}

FAST_TIMERS: Any = {"schedule": 1, "worker_info": 1, "sweep": 60, "abort": 0.1}
"""Worker timers for tests (seconds); ``abort`` may be fractional, the others feed Redis' SETEX.

Sweeping is tested by calling ``queue.sweep`` directly. Workers sweep rarely here because SAQ's
Redis sweep takes a job that a worker has just moved to its active list, but not yet marked
``active``, for a stuck one and aborts it; a worker's first sweep runs as it starts, so the
fixture also waits for that before handing the worker out.
"""


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=0.5):
            return True
    except OSError:
        return False


async def _clean(backend: str, queue: Any) -> None:
    name = queue.name
    if backend == "redis":
        for pattern in (f"saq:{name}:*", f"saq:job:{name}:*"):
            keys = [key async for key in queue.redis.scan_iter(match=pattern)]
            if keys:
                await queue.redis.delete(*keys)
    elif backend == "postgres":
        async with queue.pool.connection() as conn:
            await conn.execute("DELETE FROM saq_jobs WHERE queue = %s", (name,))
            await conn.execute("DELETE FROM saq_stats WHERE queue_key = %s", (name,))


@pytest_asyncio.fixture(params=list(BACKEND_URLS))
async def queue(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Queue]:
    """A connected queue with a name of its own, on each backend in turn."""
    backend: str = request.param
    url = BACKEND_URLS[backend]
    if backend != "sqlite" and not _reachable(url):
        pytest.skip(f"{backend} server not reachable at {url}")
    q = open_queue(url, name=f"test-{uuid.uuid4().hex[:12]}", data_dir=tmp_path)
    await q.connect()
    try:
        yield q
    finally:
        try:
            await _clean(backend, q)
        finally:
            await q.disconnect()


@pytest.fixture
def backend(queue: Queue) -> str:
    return {
        "SqliteQueue": "sqlite",
        "RedisQueue": "redis",
        "OwnedRedisQueue": "redis",
        "PostgresQueue": "postgres",
        "OwnedPostgresQueue": "postgres",
    }[type(queue).__name__]


@asynccontextmanager
async def _running_worker(queue: Queue, functions: list[Any], **kwargs: Any) -> AsyncIterator[Worker[Any]]:
    worker: Worker[Any] = Worker(
        queue, functions, concurrency=2, timers=FAST_TIMERS, dequeue_timeout=1, **kwargs
    )
    task = asyncio.create_task(worker.start())

    async def registered() -> bool:
        return worker.id in (await queue.info())["workers"]

    deadline = time.monotonic() + 10
    while not await registered():
        assert time.monotonic() < deadline, "the worker did not start"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # let its first sweep finish
    try:
        yield worker
    finally:
        await worker.stop()
        await asyncio.wait_for(task, 10)


@pytest.fixture
def running_worker() -> Callable[..., AbstractAsyncContextManager[Worker[Any]]]:
    """``async with running_worker(queue, [fn or (name, fn)]) as worker:`` runs an in-process SAQ worker."""
    return _running_worker
