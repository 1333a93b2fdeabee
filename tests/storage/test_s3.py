"""S3 backend beyond the contract, on a real S3 server (SeaweedFS): multipart streaming, presigned URLs,
metadata encoding, unfinished uploads, unreachable or refusing servers."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest

from faceswap.config import StorageSettings
from faceswap.errors import NotFoundError, StorageUnavailableError
from faceswap.storage import open_storage
from faceswap.storage.s3 import MIN_PART_SIZE, S3Storage
from faceswap.storage.s3_support import decode_metadata, encode_metadata

from .conftest import S3_BUCKET, s3_client, s3_settings
from .servers import S3Server, free_port


def _storage(server: S3Server, tmp_path: Path) -> tuple[S3Storage, str]:
    prefix = f"s3-{uuid.uuid4().hex}/"
    storage = open_storage(f"s3://{S3_BUCKET}/{prefix}", data_dir=tmp_path, settings=s3_settings(server))
    assert isinstance(storage, S3Storage)
    return storage, prefix


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_large_put_streams_as_multipart_and_presigned_url_serves_it(
    s3_server: S3Server, tmp_path: Path
) -> None:
    storage, prefix = _storage(s3_server, tmp_path)
    data = os.urandom(2 * storage.part_size + 12345)
    async with storage:
        stored = await storage.put("results/t/out.mp4", _pieces(data, 700_000), content_type="video/mp4")
        assert stored.size == len(data)
        assert stored.etag is not None
        assert stored.etag.endswith("-3")  # S3's etag of a 3-part upload
        assert await storage.get("results/t/out.mp4") == data

        url = await storage.url("results/t/out.mp4", expires_s=60)
        assert url is not None
        answer = httpx.get(url, timeout=30, trust_env=False)
        assert answer.status_code == 200
        assert answer.content == data
        assert answer.headers["content-type"] == "video/mp4"
        unsigned = httpx.get(url.split("?")[0], timeout=30, trust_env=False)
        assert unsigned.status_code == 403  # the bucket is private: only the signature lets it through
    assert s3_client(s3_server).list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads") is None


async def test_failure_after_parts_were_sent_aborts_the_upload(s3_server: S3Server, tmp_path: Path) -> None:
    storage, prefix = _storage(s3_server, tmp_path)
    client = s3_client(s3_server)
    seen: list[int] = []

    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(storage.part_size + 1)
        await asyncio.sleep(0.2)  # the first part is on the server by now
        seen.append(len(client.list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads", [])))
        raise ConnectionResetError("client went away")

    async with storage:
        with pytest.raises(ConnectionResetError):
            await storage.put("uploads/big.mp4", broken(), content_type="video/mp4")
        assert seen == [1]
        assert not await storage.exists("uploads/big.mp4")
    assert client.list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads") is None
    assert client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("Contents") is None


async def test_sweep_aborts_only_old_unfinished_uploads(s3_server: S3Server, tmp_path: Path) -> None:
    storage, prefix = _storage(s3_server, tmp_path)
    client = s3_client(s3_server)
    client.create_multipart_upload(Bucket=S3_BUCKET, Key=f"{prefix}uploads/killed.mp4")
    async with storage:
        assert await storage.sweep_leftovers(datetime.now(UTC)) == 0  # younger than an hour
        later = datetime.now(UTC) + timedelta(hours=2)
        assert await storage.sweep_leftovers(later) == 1
        assert await storage.sweep_leftovers(later) == 0
    assert client.list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads") is None


async def test_a_sweep_within_a_prefix_aborts_its_uploads_of_any_age(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """An attempt's cleanup: its unfinished uploads go at once, another attempt's stay."""
    storage, prefix = _storage(s3_server, tmp_path)
    client = s3_client(s3_server)
    for attempt in ("a1", "a2"):
        client.create_multipart_upload(Bucket=S3_BUCKET, Key=f"{prefix}results/t1/{attempt}/output.mp4")
    async with storage:
        now = datetime.now(UTC) + timedelta(seconds=1)  # the server's clock may run a little ahead
        assert await storage.sweep_leftovers(now, older_than=timedelta(0), prefix="results/t1/a1/") == 1
    left = client.list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads", [])
    assert [upload["Key"] for upload in left] == [f"{prefix}results/t1/a2/output.mp4"]
    client.abort_multipart_upload(Bucket=S3_BUCKET, Key=left[0]["Key"], UploadId=left[0]["UploadId"])


async def test_metadata_survives_http_headers(s3_server: S3Server, tmp_path: Path) -> None:
    metadata = {"filename": "Grâce Höpper 100%.jpg", "note": " leading and trailing ", "empty": ""}
    storage, prefix = _storage(s3_server, tmp_path)
    async with storage:
        await storage.put("uploads/g.jpg", b"x", content_type="image/jpeg", metadata=metadata)
        assert dict((await storage.stat("uploads/g.jpg")).metadata) == metadata
        [listed] = [o async for o in storage.list("uploads/")]
        assert dict(listed.metadata) == metadata
    raw = s3_client(s3_server).head_object(Bucket=S3_BUCKET, Key=f"{prefix}uploads/g.jpg")["Metadata"]
    assert raw["filename"] == "Gr%C3%A2ce%20H%C3%B6pper%20100%25.jpg"
    assert decode_metadata(encode_metadata(metadata)) == metadata


async def test_objects_outside_the_prefix_or_with_foreign_names_are_not_listed(
    s3_server: S3Server, tmp_path: Path
) -> None:
    storage, prefix = _storage(s3_server, tmp_path)
    client = s3_client(s3_server)
    client.put_object(Bucket=S3_BUCKET, Key=f"{prefix}uploads/weird name.png", Body=b"x")
    client.put_object(Bucket=S3_BUCKET, Key=f"{prefix[:-1]}-sibling/uploads/a.png", Body=b"x")
    async with storage:
        await storage.put("uploads/a.png", b"mine")
        assert [o.key async for o in storage.list()] == ["uploads/a.png"]


async def test_wrong_credentials_and_missing_bucket_are_unavailable(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bad = StorageSettings(endpoint_url=s3_server.endpoint, access_key_id="nobody", secret_access_key="wrong")  # type: ignore[arg-type]
    async with open_storage(f"s3://{S3_BUCKET}/x", data_dir=tmp_path, settings=bad) as storage:
        with pytest.raises(StorageUnavailableError):
            await storage.health()
        with pytest.raises(StorageUnavailableError):
            await storage.put("uploads/a.png", b"x")
    async with open_storage(
        "s3://no-such-bucket-here/x", data_dir=tmp_path, settings=s3_settings(s3_server)
    ) as storage:
        with pytest.raises(StorageUnavailableError):
            await storage.health()


async def test_unreachable_server_is_transient(tmp_path: Path) -> None:
    settings = StorageSettings(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id="k",
        secret_access_key="s",  # type: ignore[arg-type]
    )
    async with open_storage("s3://bucket/p", data_dir=tmp_path, settings=settings) as storage:
        for attempt in (storage.health(), storage.get("uploads/a.png"), storage.put("uploads/a.png", b"x")):
            with pytest.raises(StorageUnavailableError) as info:
                await attempt
            assert info.value.transient
        with pytest.raises(StorageUnavailableError):
            _ = [chunk async for chunk in storage.stream("uploads/a.png")]


def test_small_parts_are_refused() -> None:
    with pytest.raises(Exception, match="at least"):
        S3Storage("bucket", part_size=MIN_PART_SIZE - 1)


async def test_missing_key_in_stream_is_not_found(s3_server: S3Server, tmp_path: Path) -> None:
    storage, _ = _storage(s3_server, tmp_path)
    async with storage:
        with pytest.raises(NotFoundError):
            _ = [chunk async for chunk in storage.stream("uploads/none.png")]


async def test_a_span_is_one_ranged_request_for_its_bytes_only(s3_server: S3Server, tmp_path: Path) -> None:
    """The bytes before a span never leave the server: each read is one GetObject whose answer is the span
    (a browser seeking near the end of a long video costs the bytes it asks for)."""
    storage, _ = _storage(s3_server, tmp_path)
    data = os.urandom(3 * 1024 * 1024)
    answered: list[tuple[str | None, int | None]] = []

    def seen(http_response: object, parsed: dict[str, object], **_: object) -> None:
        answered.append(
            (cast(str | None, parsed.get("ContentRange")), cast(int | None, parsed.get("ContentLength")))
        )

    async with storage:
        await storage.put("results/t/out.mp4", data, content_type="video/mp4")
        storage._client.meta.events.register("after-call.s3.GetObject", seen)
        tail = [part async for part in storage.stream("results/t/out.mp4", start=len(data) - 1000)]
        middle = [part async for part in storage.stream("results/t/out.mp4", start=5, stop=70_005)]
        past = [part async for part in storage.stream("results/t/out.mp4", start=len(data))]
    assert b"".join(tail) == data[-1000:]
    assert b"".join(middle) == data[5:70_005]
    assert past == []
    size = len(data)
    # past the end: S3 refuses the range (416), which is an empty span of an object that is there
    assert answered == [
        (f"bytes {size - 1000}-{size - 1}/{size}", 1000),
        (f"bytes 5-70004/{size}", 70_000),
        (None, None),
    ]


async def test_a_server_that_ignores_the_range_still_gives_just_the_span(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some S3-compatible servers answer a ranged GET with the whole object (200, no Content-Range): the
    bytes before the span are dropped, so a download never sends more than its Content-Length."""
    storage, _ = _storage(s3_server, tmp_path)
    data = os.urandom(300_000)
    async with storage:
        await storage.put("results/t/out.mp4", data, content_type="video/mp4")
        get_object = storage._client.get_object

        def ignoring_range(**kwargs: object) -> object:
            kwargs.pop("Range", None)
            return get_object(**kwargs)

        monkeypatch.setattr(storage._client, "get_object", ignoring_range)
        middle = [part async for part in storage.stream("results/t/out.mp4", start=1000, stop=5000)]
        tail = [part async for part in storage.stream("results/t/out.mp4", start=299_000, chunk_size=100)]
    assert b"".join(middle) == data[1000:5000]
    assert b"".join(tail) == data[299_000:]
    assert all(len(part) <= 100 for part in tail)
