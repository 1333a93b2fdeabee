"""The storage contract, run against every backend in ``conftest.BACKENDS``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.errors import BadOptionError, InvalidKeyError, NotFoundError
from faceswap.storage import Storage, StoredObject
from faceswap.storage.retention import RetentionRule, cleanup_expired

from .conftest import BackendCase

pytestmark = pytest.mark.asyncio

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"

HOSTILE_KEYS = [
    "../x",
    "/etc/passwd",
    "a/../../b",
    "a\\b",
    "%2e%2e/x",
    "a/./b",
    "a//b",
    "a/",
    "",
    "uploads/x\x00.png",
    ".hidden",
    "uploads/.x.png.meta.json",
    "C:/windows",
    "uploads/ space.png",
]


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


async def collect(storage: Storage, prefix: str = "") -> list[StoredObject]:
    return [obj async for obj in storage.list(prefix)]


async def test_put_bytes_then_get_and_stat(storage: Storage) -> None:
    photo = (FACES / "astronaut.png").read_bytes()
    before = datetime.now(UTC)
    stored = await storage.put(
        "uploads/a.png", photo, content_type="image/png", metadata={"filename": "astronaut.png"}
    )
    after = datetime.now(UTC)

    assert await storage.get("uploads/a.png") == photo
    stat = await storage.stat("uploads/a.png")
    for obj in (stored, stat):
        assert obj.key == "uploads/a.png"
        assert obj.name == "a.png"
        assert obj.size == len(photo)
        assert obj.content_type == "image/png"
        assert dict(obj.metadata) == {"filename": "astronaut.png"}
        assert before - timedelta(seconds=2) <= obj.created <= after + timedelta(seconds=2)
        assert obj.created.tzinfo is not None
    assert stat.etag == stored.etag


async def test_put_from_async_iterator_and_from_path(storage: Storage) -> None:
    await storage.put("uploads/parts.bin", chunks(b"ab", b"", b"cd", b"e" * 5000))
    assert await storage.get("uploads/parts.bin") == b"abcd" + b"e" * 5000
    assert (await storage.stat("uploads/parts.bin")).content_type == "application/octet-stream"

    mixed = [os.urandom(300_000) for _ in range(5)] + [os.urandom(2_500_000), b"tail"]
    stored = await storage.put("uploads/mixed.bin", chunks(*mixed))
    assert stored.size == sum(len(part) for part in mixed)
    assert await storage.get("uploads/mixed.bin") == b"".join(mixed)

    source = FACES / "grace_hopper.jpg"
    stored = await storage.put("uploads/grace.jpg", source, content_type="image/jpeg")
    assert stored.size == source.stat().st_size
    assert await storage.get("uploads/grace.jpg") == source.read_bytes()


async def test_stream_yields_the_bytes_in_bounded_chunks(storage: Storage) -> None:
    data = os.urandom(10_000)
    await storage.put("results/t1/out.bin", data)
    parts = [part async for part in storage.stream("results/t1/out.bin", chunk_size=4096)]
    assert b"".join(parts) == data
    assert all(0 < len(part) <= 4096 for part in parts)
    assert len(parts) >= 3


async def test_stream_yields_a_span_of_the_bytes(storage: Storage) -> None:
    noise = np.random.default_rng(5).integers(0, 255, (64, 64, 3), np.uint8)
    ok, png = cv2.imencode(".png", noise)  # a real image: every backend takes it
    assert ok
    data = png.tobytes()
    size = len(data)
    await storage.put("results/t1/out.png", data, content_type="image/png")
    spans = [(0, None), (0, 1), (100, 5000), (size - 10, None), (size - 10, size + 50), (7, 7), (size, None)]
    for start, stop in spans:
        parts = [
            part
            async for part in storage.stream("results/t1/out.png", chunk_size=1000, start=start, stop=stop)
        ]
        assert b"".join(parts) == data[start:stop], (start, stop)
        assert all(0 < len(part) <= 1000 for part in parts)
    with pytest.raises(NotFoundError):
        _ = [part async for part in storage.stream("results/t1/none.png", start=5, stop=5)]
    for start, stop in ((-1, None), (10, 9)):
        with pytest.raises(BadOptionError):
            _ = [part async for part in storage.stream("results/t1/out.png", start=start, stop=stop)]


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("results/t/out.webp", "image/webp"),
        ("results/t/out.gif", "image/gif"),
        ("results/t/out.mp4", "video/mp4"),
        ("uploads/noext", "image/jpeg"),
        ("results/t/log.txt", "text/plain; charset=utf-8"),
    ],
)
async def test_content_type_is_kept_whatever_the_name(storage: Storage, key: str, content_type: str) -> None:
    await storage.put(key, b"bytes", content_type=content_type)
    assert (await storage.stat(key)).content_type == content_type
    [listed] = await collect(storage, key)
    assert listed.content_type == content_type


async def test_overwrite_replaces_bytes_and_metadata(storage: Storage) -> None:
    await storage.put("uploads/x", b"first", content_type="image/png", metadata={"v": "1"})
    await storage.put("uploads/x", b"second!", content_type="image/webp", metadata={"v": "2"})
    assert await storage.get("uploads/x") == b"second!"
    stat = await storage.stat("uploads/x")
    assert (stat.size, stat.content_type, dict(stat.metadata)) == (7, "image/webp", {"v": "2"})


async def test_exists_and_delete(storage: Storage) -> None:
    assert not await storage.exists("uploads/d.png")
    await storage.put("uploads/d.png", b"x")
    await storage.put("uploads/keep.png", b"y")
    assert await storage.exists("uploads/d.png")
    await storage.delete("uploads/d.png")
    assert not await storage.exists("uploads/d.png")
    with pytest.raises(NotFoundError):
        await storage.get("uploads/d.png")
    await storage.delete("uploads/d.png")  # idempotent
    await storage.delete("never/was")
    assert await storage.get("uploads/keep.png") == b"y"


async def test_delete_all_removes_the_keys_named_and_nothing_else(storage: Storage) -> None:
    ok, png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))  # a real image: every backend takes it
    assert ok
    for name in ("a", "b", "keep"):
        await storage.put(f"uploads/{name}.png", png.tobytes(), content_type="image/png")
    assert await storage.delete_all(["uploads/a.png", "uploads/b.png", "uploads/gone.png"]) == 3
    assert [obj.key async for obj in storage.list("uploads/")] == ["uploads/keep.png"]
    assert await storage.delete_all([]) == 0


async def test_missing_keys_raise_not_found(storage: Storage) -> None:
    with pytest.raises(NotFoundError) as info:
        await storage.get("uploads/missing.png")
    assert info.value.code == "not_found"
    with pytest.raises(NotFoundError):
        await storage.stat("uploads/missing.png")
    with pytest.raises(NotFoundError):
        _ = [part async for part in storage.stream("uploads/missing.png")]
    await storage.put("results/t/out.png", b"x")
    with pytest.raises(NotFoundError):
        await storage.stat("results/t")  # a "folder" of keys is no object
    with pytest.raises(NotFoundError):
        await storage.get("results/t/out.png/deeper")


async def test_list_filters_by_prefix_in_key_order(storage: Storage) -> None:
    assert await collect(storage) == []
    keys = ["uploads/b.png", "uploads/a.png", "results/t1/out.png", "results/t10/out.png", "results/t2/x.gif"]
    for key in keys:
        await storage.put(key, key.encode(), content_type="image/png", metadata={"k": key[:3]})

    everything = await collect(storage)
    assert [o.key for o in everything] == sorted(keys)
    assert all(o.size == len(o.key) and o.content_type == "image/png" for o in everything)
    assert {o.metadata["k"] for o in everything} == {"upl", "res"}
    assert [o.key for o in await collect(storage, "uploads/")] == ["uploads/a.png", "uploads/b.png"]
    assert [o.key for o in await collect(storage, "results/t1/")] == ["results/t1/out.png"]
    assert [o.key for o in await collect(storage, "results/t1")] == [
        "results/t1/out.png",
        "results/t10/out.png",
    ]
    assert [o.key for o in await collect(storage, "uploads/a")] == ["uploads/a.png"]
    assert await collect(storage, "nothing/") == []
    with pytest.raises(InvalidKeyError):
        await collect(storage, "../")


@pytest.mark.parametrize("key", HOSTILE_KEYS)
async def test_hostile_keys_are_refused_before_any_io(backend: BackendCase, key: str) -> None:
    storage = backend.storage
    for attempt in (
        storage.put(key, b"pwned"),
        storage.get(key),
        storage.stat(key),
        storage.exists(key),
        storage.delete(key),
        storage.url(key),
    ):
        with pytest.raises(InvalidKeyError) as info:
            await attempt
        assert isinstance(info.value, BadOptionError)
        assert info.value.code == "invalid_key"
    with pytest.raises(InvalidKeyError):
        _ = [part async for part in storage.stream(key)]
    assert await backend.leftovers() == []


async def test_symlink_leading_out_of_the_root_is_refused(backend: BackendCase, tmp_path: Path) -> None:
    if backend.local_root is None:
        pytest.skip("symlinks only exist on filesystem backends")
    storage, root = backend.storage, backend.local_root
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(b"secret")
    await storage.put("uploads/ok.png", b"ok")
    (root / "uploads" / "link.txt").symlink_to(secret)
    (root / "escape").symlink_to(outside, target_is_directory=True)

    for key in ("uploads/link.txt", "escape/secret.txt"):
        with pytest.raises(InvalidKeyError):
            await storage.get(key)
        with pytest.raises(InvalidKeyError):
            await storage.stat(key)
        with pytest.raises(InvalidKeyError):
            await storage.delete(key)
    with pytest.raises(InvalidKeyError):
        await storage.put("escape/new.txt", b"pwned")
    with pytest.raises(InvalidKeyError):
        await storage.put("uploads/link.txt", b"pwned")

    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert secret.read_bytes() == b"secret"
    assert [o.key for o in await collect(storage)] == ["uploads/ok.png"]
    assert await collect(storage, "escape/") == []


async def test_concurrent_puts_of_different_keys(storage: Storage) -> None:
    payloads = {f"results/t{i % 3}/out{i}.bin": os.urandom(1000 + i) for i in range(24)}
    await asyncio.gather(
        *(
            storage.put(key, chunks(data[:500], data[500:]), content_type="video/mp4")
            for key, data in payloads.items()
        )
    )
    listed = await collect(storage, "results/")
    assert [o.key for o in listed] == sorted(payloads)
    for key, data in payloads.items():
        assert await storage.get(key) == data


async def test_failed_streaming_put_leaves_nothing(backend: BackendCase) -> None:
    storage = backend.storage
    seen_during_put: list[bool] = []

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 3_000_000
        seen_during_put.append(await storage.exists("uploads/broken.mp4"))
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="client went away"):
        await storage.put("uploads/broken.mp4", broken(), content_type="video/mp4")
    assert seen_during_put == [False]
    assert not await storage.exists("uploads/broken.mp4")
    assert await collect(storage) == []
    assert await backend.leftovers() == []


async def test_failed_overwrite_keeps_the_previous_object(backend: BackendCase) -> None:
    storage = backend.storage
    await storage.put("uploads/v.png", b"version one", content_type="image/png")
    before = await backend.leftovers()

    async def broken() -> AsyncIterator[bytes]:
        yield b"version two, half"
        raise ConnectionResetError("gone")

    with pytest.raises(ConnectionResetError):
        await storage.put("uploads/v.png", broken(), content_type="image/webp")
    assert await storage.get("uploads/v.png") == b"version one"
    assert (await storage.stat("uploads/v.png")).content_type == "image/png"
    assert await backend.leftovers() == before


async def test_cancelled_put_leaves_nothing(backend: BackendCase) -> None:
    storage = backend.storage
    started = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"partial"
        started.set()
        await asyncio.sleep(30)
        yield b"never"

    task = asyncio.create_task(storage.put("uploads/slow.bin", slow()))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await storage.exists("uploads/slow.bin")
    assert await backend.leftovers() == []


async def test_bad_content_type_metadata_and_data_are_refused(backend: BackendCase) -> None:
    storage = backend.storage
    with pytest.raises(BadOptionError):
        await storage.put("uploads/a", b"x", content_type="png")
    with pytest.raises(BadOptionError):
        await storage.put("uploads/a", b"x", metadata={"Bad Name": "v"})
    with pytest.raises(BadOptionError):
        await storage.put("uploads/a", b"x", metadata={"big": "v" * 5000})
    with pytest.raises(BadOptionError):
        await storage.put("uploads/a", "text, not bytes")  # type: ignore[arg-type]
    with pytest.raises(BadOptionError):
        await storage.put("uploads/a", chunks(b"ok", "text"))  # type: ignore[arg-type]
    assert not await storage.exists("uploads/a")
    assert await backend.leftovers() == []


async def test_health_and_url(storage: Storage) -> None:
    assert await storage.health() is True
    url = await storage.url("uploads/a.png", expires_s=60)
    assert url is None or url.startswith(("http://", "https://"))
    with pytest.raises(BadOptionError):
        await storage.url("uploads/a.png", expires_s=0)


async def test_retention_deletes_only_expired_objects(backend: BackendCase) -> None:
    storage = backend.storage
    # results of both layouts: per attempt (results/<task>/<attempt>/<name>) and the older flat one
    for key in ("uploads/old.png", "results/t/old.png", "results/t/a1/old.png", "other/old.png"):
        await storage.put(key, b"old")
    await asyncio.sleep(backend.clock_resolution_s * 2)
    middle = datetime.now(UTC)
    await asyncio.sleep(backend.clock_resolution_s * 2)
    await storage.put("uploads/new.png", b"new")
    await storage.put("results/t/a2/new.png", b"new")

    rules = [RetentionRule("uploads/", 24), RetentionRule("results/", 0)]
    assert await cleanup_expired(storage, middle + timedelta(hours=24), rules) == 1
    remaining = [o.key async for o in storage.list()]
    assert remaining == [
        "other/old.png",
        "results/t/a1/old.png",
        "results/t/a2/new.png",
        "results/t/old.png",
        "uploads/new.png",
    ]

    far_future = middle + timedelta(days=365)
    assert await cleanup_expired(storage, far_future, rules) == 1
    assert [o.key async for o in storage.list()] == [
        "other/old.png",
        "results/t/a1/old.png",
        "results/t/a2/new.png",
        "results/t/old.png",
    ]
    # every attempt's files go with the results rule
    assert await cleanup_expired(storage, middle + timedelta(hours=1), [RetentionRule("results/", 1)]) == 2
    assert [o.key async for o in storage.list()] == ["other/old.png", "results/t/a2/new.png"]
    assert await cleanup_expired(storage, far_future, [RetentionRule("results/", 1)]) == 1
    assert [o.key async for o in storage.list()] == ["other/old.png"]
    assert await cleanup_expired(storage, far_future, rules) == 0
