"""Fixtures for the service tests: a connected queue per backend (real servers; skipped if unreachable)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from faceswap.service.queue import open_queue

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
ASTRONAUT = FACES / "astronaut.png"
GRACE = FACES / "grace_hopper.jpg"
REDIS_URL = os.environ.get("FACESWAP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get("FACESWAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKEND_URLS = {"sqlite": "sqlite://", "redis": REDIS_URL, "postgres": POSTGRES_URL}


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=0.5):
            return True
    except OSError:
        return False


async def clean(queue: Any) -> None:
    name = queue.name
    kind = type(queue).__name__
    if kind in ("RedisQueue", "OwnedRedisQueue"):
        for pattern in (f"saq:{name}:*", f"saq:job:{name}:*"):
            keys = [key async for key in queue.redis.scan_iter(match=pattern)]
            if keys:
                await queue.redis.delete(*keys)
    elif kind in ("PostgresQueue", "OwnedPostgresQueue"):
        async with queue.pool.connection() as conn:
            await conn.execute("DELETE FROM saq_jobs WHERE queue = %s", (name,))
            await conn.execute("DELETE FROM saq_stats WHERE queue_key = %s", (name,))


@pytest_asyncio.fixture(params=list(BACKEND_URLS))
async def any_queue(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A connected queue with a name of its own, on each backend in turn."""
    url = BACKEND_URLS[request.param]
    if request.param != "sqlite" and not reachable(url):
        pytest.skip(f"{request.param} server not reachable at {url}")
    queue = open_queue(url, name=f"svc-{uuid.uuid4().hex[:12]}", data_dir=tmp_path)
    await queue.connect()
    try:
        yield queue
    finally:
        try:
            await clean(queue)
        finally:
            await queue.disconnect()
