"""Task service figures per queue backend, as JSON lines.

- ``create``: tasks/s through ``POST /api/tasks/create`` on a live ``faceswap serve --workers 0`` with
  ``--clients`` concurrent HTTP clients (inputs are http URLs, so no storage work);
- ``status``: latency p50/p99 of ``GET /api/tasks/{id}`` under the same concurrency;
- ``overhead``: submit -> worker start, one job at a time, with an idle SAQ worker (built like the
  service's) in another process: the time from just before ``enqueue`` to the worker's first line.

Usage: ``python benchmarks/api.py [--backends sqlite,redis,postgres] [--tasks 1000] [--clients 16]``.
Redis and PostgreSQL are the local servers (``FACESWAP_TEST_REDIS_URL`` / ``FACESWAP_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import click
import httpx
from saq import Worker
from saq.job import Job

from faceswap.service.queue import open_queue
from faceswap.service.worker.runner import tune_for_workers

URLS = {
    "sqlite": "sqlite:///bench.sqlite3",
    "redis": os.environ.get("FACESWAP_TEST_REDIS_URL", "redis://127.0.0.1:6379"),
    "postgres": os.environ.get("FACESWAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
}
FACESWAP = Path(sys.executable).parent / "faceswap"
BODY = {
    "workflow": "face_swap",
    "params": {
        "input_data": {
            "wf_json": {
                "source_url": "https://example.invalid/s.jpg",
                "target_url": "https://example.invalid/t.jpg",
            }
        }
    },
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


async def stamp(ctx: dict[str, Any]) -> float:
    return time.time()


def run_overhead_worker(url: str, name: str, data_dir: str) -> None:
    """The worker side of ``overhead`` (run in a subprocess)."""

    async def main() -> None:
        queue = tune_for_workers(open_queue(url, name=name, data_dir=Path(data_dir)))
        await queue.connect()
        worker: Worker[Any] = Worker(queue, [stamp], concurrency=1, dequeue_timeout=1, timers={"sweep": 600})
        await worker.start()
        await queue.disconnect()

    asyncio.run(main())


async def overhead(backend: str, url: str, data_dir: Path, count: int) -> dict[str, Any]:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", url, name, str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    queue = open_queue(url, name=name, data_dir=data_dir)
    await queue.connect()
    try:
        while not (await queue.info())["workers"]:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        samples: list[float] = []
        misses = 0
        for _ in range(count + 5):
            job = Job(function="stamp", timeout=10)
            start = time.time()
            await queue.enqueue(job)
            try:
                await job.refresh(until_complete=10)
            except TimeoutError:  # a lost completion notice: counted, not timed
                misses += 1
                continue
            samples.append((float(job.result) - start) * 1000)
            await asyncio.sleep(0.02)
        samples = samples[5:]
        return {
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(percentile(samples, 0.99), 2),
            "missed": misses,
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        await clean(queue)
        await queue.disconnect()


async def clean(queue: Any) -> None:
    kind = type(queue).__name__
    if kind == "RedisQueue":
        for pattern in (f"saq:{queue.name}:*", f"saq:job:{queue.name}:*"):
            keys = [key async for key in queue.redis.scan_iter(match=pattern)]
            if keys:
                await queue.redis.delete(*keys)
    elif kind == "PostgresQueue":
        async with queue.pool.connection() as conn:
            await conn.execute("DELETE FROM saq_jobs WHERE queue = %s", (queue.name,))
            await conn.execute("DELETE FROM saq_stats WHERE queue_key = %s", (queue.name,))


def start_api(url: str, name: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACESWAP_")}
    env.update(FACESWAP_DATA_DIR=str(data_dir), FACESWAP_QUEUE__URL=url, FACESWAP_QUEUE__NAME=name)
    proc = subprocess.Popen(
        [str(FACESWAP), "serve", "--port", str(port), "--workers", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise click.ClickException("the API did not start")


async def load(base: str, tasks: int, clients: int) -> dict[str, Any]:
    ids: list[str] = []
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def creator(n: int) -> None:
            for _ in range(n):
                answer = await client.post("/api/tasks/create", json=BODY)
                answer.raise_for_status()
                ids.append(answer.json()["data"]["taskId"])

        start = time.perf_counter()
        await asyncio.gather(*(creator(tasks // clients) for _ in range(clients)))
        created_s = time.perf_counter() - start

        async def reader(n: int, offset: int) -> None:
            for i in range(n):
                t0 = time.perf_counter()
                (await client.get(f"/api/tasks/{ids[(offset + i * 7) % len(ids)]}")).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(reader(tasks // clients, c) for c in range(clients)))
        read_s = time.perf_counter() - start
    return {
        "tasks": len(ids),
        "create_per_s": round(len(ids) / created_s, 1),
        "status_per_s": round(len(latencies) / read_s, 1),
        "status_p50_ms": round(statistics.median(latencies), 2),
        "status_p99_ms": round(percentile(latencies, 0.99), 2),
    }


async def bench(backend: str, tasks: int, clients: int, samples: int) -> None:
    url = URLS[backend]
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        proc, base = start_api(url, name, data_dir)
        try:
            figures = await load(base, tasks, clients)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
            queue = open_queue(url, name=name, data_dir=data_dir)
            await queue.connect()
            await clean(queue)
            await queue.disconnect()
        emit(benchmark="api", backend=backend, clients=clients, **figures)
        emit(
            benchmark="queue_overhead",
            backend=backend,
            jobs=samples,
            **await overhead(backend, url, data_dir, samples),
        )


@click.command()
@click.option("--backends", default="sqlite,redis,postgres", show_default=True)
@click.option("--tasks", default=1000, show_default=True, help="tasks created (and status reads) per backend")
@click.option("--clients", default=16, show_default=True, help="concurrent HTTP clients")
@click.option("--samples", default=100, show_default=True, help="jobs timed for the queue overhead")
@click.option("--worker", nargs=3, hidden=True, help="internal: run the overhead worker")
def main(backends: str, tasks: int, clients: int, samples: int, worker: tuple[str, str, str] | None) -> None:
    if worker:
        run_overhead_worker(*worker)
        return
    for backend in backends.split(","):
        asyncio.run(bench(backend, tasks, clients, samples))


if __name__ == "__main__":
    main()
