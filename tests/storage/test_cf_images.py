"""Cloudflare Images backend, against the stand-in of its documented HTTP API (tests/storage/cf_standin.py,
written for these tests, not Cloudflare's service). The contract points skipped for this backend in
test_contract.py (they store non-image bytes) are checked here with real images."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image

from faceswap.config import StorageSettings
from faceswap.errors import (
    BadOptionError,
    InputTooLargeError,
    NotFoundError,
    StorageUnavailableError,
    UnsupportedFormatError,
)
from faceswap.storage import Storage, open_storage
from faceswap.storage.retention import RetentionRule, cleanup_expired

from .cf_standin import Standin
from .conftest import CF_SETTINGS, cf_images_url
from .servers import free_port

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


def _encoded(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
async def images(cf_standin: Standin, tmp_path: Path) -> Storage:
    return open_storage(
        cf_images_url(cf_standin, uuid.uuid4().hex[:16]), data_dir=tmp_path, settings=CF_SETTINGS
    )


async def test_images_round_trip_with_type_metadata_and_delivery_url(images: Storage) -> None:
    jpeg = (FACES / "grace_hopper.jpg").read_bytes()
    webp, gif = _encoded("WEBP"), _encoded("GIF")
    async with images:
        stored = await images.put(
            "uploads/g.jpg",
            FACES / "grace_hopper.jpg",
            content_type="image/jpeg",
            metadata={"filename": "Grace Hopper.jpg"},
        )
        await images.put("results/t1/out.webp", webp, content_type="image/webp")
        await images.put("results/t1/out.gif", gif, content_type="image/gif")
        stat = await images.stat("uploads/g.jpg")
        for obj in (stored, stat):
            assert (obj.size, obj.content_type, dict(obj.metadata)) == (
                len(jpeg),
                "image/jpeg",
                {"filename": "Grace Hopper.jpg"},
            )
            assert abs(obj.created - datetime.now(UTC)) < timedelta(seconds=30)
        assert await images.get("uploads/g.jpg") == jpeg
        parts = [p async for p in images.stream("uploads/g.jpg", chunk_size=4096)]
        assert b"".join(parts) == jpeg
        assert all(0 < len(p) <= 4096 for p in parts)

        assert [o.key async for o in images.list()] == [
            "results/t1/out.gif",
            "results/t1/out.webp",
            "uploads/g.jpg",
        ]
        assert [o.key async for o in images.list("results/")] == ["results/t1/out.gif", "results/t1/out.webp"]
        assert [(o.key, o.content_type) async for o in images.list("uploads/g")] == [
            ("uploads/g.jpg", "image/jpeg")
        ]

        url = await images.url("results/t1/out.webp")
        assert url is not None
        assert url.endswith("/standinhash/results/t1/out.webp/public")
        assert httpx.get(url, timeout=10, trust_env=False).content == webp


async def test_overwrite_delete_and_missing(images: Storage) -> None:
    png = (FACES / "astronaut.png").read_bytes()
    async with images:
        await images.put("uploads/x", _encoded("PNG"), content_type="image/png", metadata={"v": "1"})
        await images.put("uploads/x", png, content_type="image/png", metadata={"v": "2"})
        assert await images.get("uploads/x") == png
        assert dict((await images.stat("uploads/x")).metadata) == {"v": "2"}
        await images.delete("uploads/x")
        await images.delete("uploads/x")  # idempotent
        assert not await images.exists("uploads/x")
        for attempt in (images.get("uploads/x"), images.stat("uploads/x")):
            with pytest.raises(NotFoundError):
                await attempt
        with pytest.raises(NotFoundError):
            _ = [p async for p in images.stream("uploads/x")]


@pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        (b"plain text", "text/plain", UnsupportedFormatError),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(64), "video/mp4", UnsupportedFormatError),
        (_encoded("PNG"), "video/mp4", UnsupportedFormatError),
        (b"not an image at all", "image/png", UnsupportedFormatError),
        (_encoded("BMP"), "image/bmp", UnsupportedFormatError),
        (b"\xff\xd8\xff" + bytes(11 * 1024 * 1024), "image/jpeg", InputTooLargeError),
    ],
)
async def test_only_images_within_the_limits_are_stored(
    images: Storage, cf_standin: Standin, data: bytes, content_type: str, error: type[Exception]
) -> None:
    async with images:
        with pytest.raises(error):
            await images.put("uploads/a", data, content_type=content_type)
        assert [o.key async for o in images.list()] == []


async def test_metadata_beyond_cloudflares_limit_is_refused(images: Storage) -> None:
    async with images:
        with pytest.raises(BadOptionError):
            await images.put(
                "uploads/a.png", _encoded("PNG"), content_type="image/png", metadata={"n": "v" * 1500}
            )


async def test_retention_on_images(images: Storage) -> None:
    async with images:
        await images.put("uploads/old.png", _encoded("PNG"), content_type="image/png")
        await images.put("results/t/keep.png", _encoded("PNG"), content_type="image/png")
        later = datetime.now(UTC) + timedelta(hours=25)
        assert await cleanup_expired(images, later, [RetentionRule("uploads/", 24)]) == 1
        assert [o.key async for o in images.list()] == ["results/t/keep.png"]


async def test_bad_token_and_unreachable_api_are_unavailable(cf_standin: Standin, tmp_path: Path) -> None:
    wrong = StorageSettings(api_token="wrong")  # type: ignore[arg-type]
    async with open_storage(cf_images_url(cf_standin, "acc"), data_dir=tmp_path, settings=wrong) as storage:
        with pytest.raises(StorageUnavailableError):
            await storage.health()
        assert await storage.url("uploads/a.png") is None  # no account hash: downloads go through the API
    down = f"cf-images://acc?api=http://127.0.0.1:{free_port()}/client/v4"
    async with open_storage(down, data_dir=tmp_path, settings=CF_SETTINGS) as storage:
        for attempt in (storage.health(), storage.stat("uploads/a.png")):
            with pytest.raises(StorageUnavailableError) as info:
                await attempt
            assert info.value.transient
