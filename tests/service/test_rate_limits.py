"""Rate limits: moving windows per key, in memory or shared through Redis by every API replica, and
failing open (with a warning) while Redis is down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from fastapi.testclient import TestClient

from faceswap.config import Settings
from faceswap.errors import BadOptionError, RateLimitedError
from faceswap.service.api import ratelimit
from faceswap.service.api.app import create_app
from faceswap.service.api.ratelimit import RateLimiter, storage_url, window
from tests.service.conftest import POSTGRES_URL, REDIS_URL, reachable
from tests.service.helpers import service_settings
from tests.service.test_api_keys import create_key

needs_redis = pytest.mark.skipif(not reachable(REDIS_URL), reason="redis not reachable")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("burst", "per_minute", "amount", "seconds"),
    [
        (20, 60.0, 20, 20),
        (2, 6.0, 2, 20),
        (20, 1.0, 20, 1200),
        (20, 60_000.0, 1000, 1),
        (1, 120.0, 2, 1),
        (3, 7.0, 3, 26),
    ],
)
def test_window_is_burst_requests_per_burst_over_rate(
    burst: int, per_minute: float, amount: int, seconds: int
) -> None:
    item = window(burst, per_minute)
    assert (item.amount, item.get_expiry()) == (amount, seconds)


@pytest.mark.parametrize(
    ("queue", "configured", "expected"),
    [
        ("", "", "memory://"),
        ("sqlite:///tmp/q.sqlite3", "", "memory://"),
        (POSTGRES_URL, "", "memory://"),
        ("redis://cache:6379/2", "", "redis://cache:6379/2"),
        ("rediss://u:p@cache:6380", "", "rediss://u:p@cache:6380"),
        (POSTGRES_URL, "redis://limits:6379", "redis://limits:6379"),
        ("redis://cache:6379", "memory://", "memory://"),
    ],
)
def test_storage_follows_the_setting_then_a_redis_queue(queue: str, configured: str, expected: str) -> None:
    settings = Settings(queue={"url": queue}, service={"rate_limit_storage_url": configured})  # type: ignore[arg-type]
    assert storage_url(settings) == expected


def test_an_unknown_storage_is_refused() -> None:
    with pytest.raises(BadOptionError, match="memory://"):
        RateLimiter("memcached://cache:11211", 2)


async def test_memory_limits_per_key_with_retry_after() -> None:
    limiter = RateLimiter("memory://", 2)
    await limiter.take("a", 6.0)
    await limiter.take("a", 6.0)
    with pytest.raises(RateLimitedError) as refused:
        await limiter.take("a", 6.0)
    assert 19 <= refused.value.retry_after <= 20
    assert refused.value.code == "rate_limited"
    await limiter.take("b", 6.0)  # another key has its own window
    # memory is per process: another limiter (another replica) has a budget of its own
    await RateLimiter("memory://", 2).take("a", 6.0)


async def test_memory_window_frees_requests_as_it_moves() -> None:
    limiter = RateLimiter("memory://", 1)
    await limiter.take("a", 60.0)  # one request per second
    with pytest.raises(RateLimitedError) as refused:
        await limiter.take("a", 60.0)
    assert refused.value.retry_after == 1
    await asyncio.sleep(1.05)
    await limiter.take("a", 60.0)


@contextlib.asynccontextmanager
async def shared_limiters(count: int, burst: int) -> AsyncIterator[list[RateLimiter]]:
    prefix = f"faceswap:rl-{uuid.uuid4().hex[:8]}:ratelimit"
    limiters = [RateLimiter(REDIS_URL, burst, prefix=prefix) for _ in range(count)]
    try:
        yield limiters
    finally:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        assert keys, "the limiters wrote nothing to Redis"
        await client.delete(*keys)
        await client.aclose()
        for limiter in limiters:
            await limiter.aclose()


@needs_redis
async def test_limiters_on_one_redis_share_one_budget() -> None:
    async with shared_limiters(3, burst=3) as (one, two, three):
        await one.take("k", 9.0)
        await two.take("k", 9.0)
        await three.take("k", 9.0)
        for limiter in (one, two, three):
            with pytest.raises(RateLimitedError) as refused:
                await limiter.take("k", 9.0)
            assert 1 <= refused.value.retry_after <= 20
        await two.take("other", 9.0)


@pytest.fixture
def redis_settings(tmp_path: Path) -> Iterator[Settings]:
    if not reachable(REDIS_URL):
        pytest.skip("redis not reachable")
    name = f"rl-{uuid.uuid4().hex[:10]}"
    settings = service_settings(tmp_path, REDIS_URL, rate_limit_burst=2)
    settings.queue.name = name
    yield settings

    async def clean() -> None:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        for pattern in (f"faceswap:{name}:*", f"saq:{name}:*", f"saq:job:{name}:*"):
            keys = [key async for key in client.scan_iter(match=pattern)]
            if keys:
                await client.delete(*keys)
        await client.aclose()

    asyncio.run(clean())


def test_two_api_replicas_on_one_redis_share_a_keys_budget(redis_settings: Settings) -> None:
    secret = create_key(redis_settings, "shared", rate_limit=6.0)
    other = create_key(redis_settings, "other", rate_limit=6.0)
    headers = {"Authorization": f"Bearer {secret}"}
    with (
        TestClient(create_app(redis_settings)) as one,
        TestClient(create_app(redis_settings)) as two,
    ):
        assert one.get("/api/tasks", headers=headers).status_code == 200
        assert two.get("/api/tasks", headers=headers).status_code == 200
        for client in (one, two):
            response = client.get("/api/tasks", headers=headers)
            assert response.status_code == 429, response.text
            assert response.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(response.headers["retry-after"]) <= 20
        assert two.get("/api/tasks", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_replicas_without_redis_limit_each_process(tmp_path: Path) -> None:
    settings = service_settings(tmp_path, rate_limit_burst=1)
    secret = create_key(settings, "solo", rate_limit=6.0)
    headers = {"X-API-Key": secret}
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        assert one.get("/api/tasks", headers=headers).status_code == 200
        assert one.get("/api/tasks", headers=headers).status_code == 429
        assert two.get("/api/tasks", headers=headers).status_code == 200


async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def redis_proxy(port: int) -> AsyncIterator[None]:
    """A TCP proxy on ``port`` to the test Redis: the limiter's Redis "comes back" while it runs."""
    target = REDIS_URL.split("://", 1)[1].split("/", 1)[0]
    host, _, target_port = target.rpartition(":")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(forward(reader, upstream_writer), forward(upstream_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


@needs_redis
async def test_redis_down_fails_open_with_a_warning_and_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=ratelimit.__name__)
    port, clock = free_port(), Clock()
    prefix = f"faceswap:rl-{uuid.uuid4().hex[:8]}:ratelimit"
    limiter = RateLimiter(f"redis://:pw-secret@127.0.0.1:{port}/0", 1, prefix=prefix, clock=clock)
    try:
        for _ in range(3):  # Redis is down: every request passes although the burst is 1
            await limiter.take("k", 6.0)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings  # asked once, then left alone for RETRY_S
        assert "unreachable" in warnings[0]
        assert "requests pass unlimited" in warnings[0]
        assert "pw-secret" not in warnings[0]
        async with redis_proxy(port):
            await limiter.take("k", 6.0)  # still within RETRY_S: not asked
            clock.now += ratelimit.RETRY_S + 0.1
            await limiter.take("k", 6.0)  # asked again: Redis is back, the window counts again
            with pytest.raises(RateLimitedError):
                await limiter.take("k", 6.0)
            assert "reachable again" in caplog.records[-1].getMessage()
    finally:
        await limiter.aclose()
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def test_an_app_whose_redis_is_down_serves_unlimited(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger=ratelimit.__name__)
    settings = service_settings(
        tmp_path,
        rate_limit_burst=1,
        rate_limit_storage_url=f"redis://127.0.0.1:{free_port()}",
    )
    secret = create_key(settings, "k", rate_limit=6.0)
    with TestClient(create_app(settings)) as client:
        statuses = [client.get("/api/tasks", headers={"X-API-Key": secret}).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert any("unreachable" in r.getMessage() for r in caplog.records)
