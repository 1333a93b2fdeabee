"""What a PENDING task's place in line costs to read, per queue backend, as JSON lines.

For each backend and each queue length in ``--lengths``: enqueue that many jobs, then time
``queue_position`` of the first job (1 ahead of nothing), the middle one and the last one (the worst case:
every queued job is ahead of it), ``--repeat`` reads each; prints the median and p99 in milliseconds.

Usage: ``python benchmarks/queue_position.py [--backends sqlite,redis,postgres] [--lengths 10,1000,10000]``.
Redis and PostgreSQL are the local servers (``FACESWAP_TEST_REDIS_URL`` / ``FACESWAP_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import click
from saq.job import Job

from faceswap.service.queue import open_queue
from faceswap.service.queue.positions import QueuePositions
from faceswap.service.tasks.records import new_task_id

URLS = {
    "sqlite": "sqlite:///bench.sqlite3",
    "redis": os.environ.get("FACESWAP_TEST_REDIS_URL", "redis://127.0.0.1:6379"),
    "postgres": os.environ.get("FACESWAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
}


async def clean(queue: Any, backend: str) -> None:
    if backend == "redis":
        for pattern in (f"saq:{queue.name}:*", f"saq:job:{queue.name}:*"):
            keys = [key async for key in queue.redis.scan_iter(match=pattern)]
            for start in range(0, len(keys), 1000):
                await queue.redis.delete(*keys[start : start + 1000])
    elif backend == "postgres":
        async with queue.pool.connection() as conn:
            await conn.execute("DELETE FROM saq_jobs WHERE queue = %s", (queue.name,))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(backend: str, length: int, repeat: int, data_dir: Path) -> list[dict[str, Any]]:
    queue = open_queue(URLS[backend], name=f"bench-pos-{uuid.uuid4().hex[:8]}", data_dir=data_dir)
    await queue.connect()
    lines = []
    try:
        assert isinstance(queue, QueuePositions)
        keys = []
        for _ in range(length):
            key = new_task_id()
            await queue.enqueue(Job("add", key=key, kwargs={"a": 1}))
            keys.append(key)
        for where, index in (("first", 0), ("middle", length // 2), ("last", length - 1)):
            job = await queue.job(keys[index])
            assert job is not None
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                position = await queue.queue_position(job)
                times.append((time.perf_counter() - start) * 1000)
            assert position == index + 1, (backend, where, position)
            lines.append(
                {
                    "bench": "queue_position",
                    "backend": backend,
                    "queued": length,
                    "where": where,
                    "position": position,
                    "median_ms": round(statistics.median(times), 3),
                    "p99_ms": round(percentile(times, 0.99), 3),
                    "reads": repeat,
                }
            )
    finally:
        await clean(queue, backend)
        await queue.disconnect()
    return lines


@click.command()
@click.option("--backends", default="sqlite,redis,postgres")
@click.option("--lengths", default="10,1000,10000")
@click.option("--repeat", default=200, show_default=True)
def main(backends: str, lengths: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends.split(","):
            for length in (int(n) for n in lengths.split(",")):
                for line in asyncio.run(measure(backend, length, repeat, Path(folder))):
                    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
