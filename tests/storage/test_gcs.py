"""GCS backend beyond the contract, on the GCS emulator: resumable uploads, ranged reads, URLs,
missing buckets and an unreachable service."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from faceswap.errors import BadOptionError, StorageUnavailableError
from faceswap.storage.gcs import GcsStorage

from .conftest import GCS_BUCKET
from .servers import environment, free_port

CHUNK = 256 * 1024


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def storage(gcs_server: str) -> GcsStorage:
    return GcsStorage(GCS_BUCKET, f"gcs-{uuid.uuid4().hex}", chunk_size=CHUNK)


async def test_resumable_upload_and_ranged_stream(storage: GcsStorage) -> None:
    data = os.urandom(3 * CHUNK + 777)
    async with storage:
        stored = await storage.put(
            "results/t/out.mp4",
            _pieces(data, 100_000),
            content_type="video/mp4",
            metadata={"name": "Grâce Höpper"},
        )
        assert (stored.size, stored.content_type, dict(stored.metadata)) == (
            len(data),
            "video/mp4",
            {"name": "Grâce Höpper"},
        )
        parts = [part async for part in storage.stream("results/t/out.mp4", chunk_size=100_000)]
        assert b"".join(parts) == data  # (the emulator cannot serve metadata outside Latin-1 with media)
        assert max(len(p) for p in parts) == 100_000
        assert await storage.get("results/t/out.mp4") == data


async def test_failed_resumable_upload_leaves_no_object(storage: GcsStorage) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(2 * CHUNK + 1)  # the first chunk is sent before the failure
        raise ConnectionResetError("gone")

    async with storage:
        await storage.put("uploads/v.mp4", b"version one", content_type="video/mp4")
        with pytest.raises(ConnectionResetError):
            await storage.put("uploads/v.mp4", broken(), content_type="video/mp4")
        assert await storage.get("uploads/v.mp4") == b"version one"
        assert [o.key async for o in storage.list()] == ["uploads/v.mp4"]


async def test_url_is_none_without_signing_credentials_or_public(
    storage: GcsStorage, gcs_server: str
) -> None:
    async with storage:
        assert await storage.url("uploads/a.png") is None  # the emulator's anonymous credentials cannot sign
        with pytest.raises(BadOptionError):
            await storage.url("uploads/a.png", expires_s=8 * 24 * 3600)
    public = GcsStorage(GCS_BUCKET, "p", public_base_url="https://cdn.example.org/")
    assert await public.url("uploads/a.png") == "https://cdn.example.org/p/uploads/a.png"
    await public.aclose()


async def test_missing_bucket_is_unavailable(gcs_server: str) -> None:
    async with GcsStorage("no-such-bucket", "p") as storage:
        with pytest.raises(StorageUnavailableError):
            await storage.health()


async def test_unreachable_service_is_transient() -> None:
    with environment(STORAGE_EMULATOR_HOST=f"http://127.0.0.1:{free_port()}"):
        storage = GcsStorage(GCS_BUCKET, "p", retry_deadline_s=1.0)
    async with storage:
        for attempt in (storage.health, lambda: storage.stat("uploads/a.png"), lambda: storage.get("a")):
            with pytest.raises(StorageUnavailableError) as info:
                await attempt()
            assert info.value.transient


def test_bad_chunk_size_and_bucket(gcs_server: str, tmp_path: Path) -> None:
    with pytest.raises(BadOptionError):
        GcsStorage(GCS_BUCKET, chunk_size=1000)
    with pytest.raises(BadOptionError):
        GcsStorage("a/b")


async def test_a_span_reads_only_its_own_blocks(storage: GcsStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    """A span near the end of an object is one ranged read of its bytes, not a read of every block."""
    data = os.urandom(3 * CHUNK + 777)
    reads: list[tuple[int, int]] = []
    async with storage:
        await storage.put("results/t/out.mp4", data, content_type="video/mp4")
        run = storage._run

        async def counted(action: str, key: str, call: Any) -> Any:
            if isinstance(call, functools.partial) and "start" in call.keywords:
                reads.append((call.keywords["start"], call.keywords["end"]))
            return await run(action, key, call)

        monkeypatch.setattr(storage, "_run", counted)
        tail = [part async for part in storage.stream("results/t/out.mp4", start=len(data) - 1000)]
        middle = [
            part async for part in storage.stream("results/t/out.mp4", start=CHUNK - 10, stop=CHUNK + 10)
        ]
    assert b"".join(tail) == data[-1000:]
    assert b"".join(middle) == data[CHUNK - 10 : CHUNK + 10]
    assert reads == [(len(data) - 1000, len(data) - 1), (CHUNK - 10, CHUNK + 9)]
