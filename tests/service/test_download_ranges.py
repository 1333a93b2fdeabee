"""``GET /api/download`` serves one byte range (a browser seeking in a result video asks for one)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceswap.service.api.app import create_app
from faceswap.service.api.ranges import ByteRange, UnsatisfiableRangeError, parse_range
from faceswap.storage.chunks import within
from tests.service.conftest import ASTRONAUT
from tests.service.helpers import service_settings


def test_ranges_are_parsed_as_rfc_9110_says() -> None:
    assert parse_range("bytes=10-19", 100) == ByteRange(10, 19, 100)
    assert parse_range("bytes=90-", 100) == ByteRange(90, 99, 100)
    assert parse_range("bytes=-5", 100) == ByteRange(95, 99, 100)
    assert parse_range("bytes=50-500", 100) == ByteRange(50, 99, 100)  # cut at the end
    for whole in (None, "", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=9-3"):
        assert parse_range(whole, 100) is None
    for past in ("bytes=100-", "bytes=-0"):
        with pytest.raises(UnsatisfiableRangeError):
            parse_range(past, 100)
    for any_range in ("bytes=0-", "bytes=-5", "bytes=0-0"):  # an empty file has no bytes to give
        with pytest.raises(UnsatisfiableRangeError):
            parse_range(any_range, 0)


async def test_a_span_of_a_stream_comes_from_any_chunking() -> None:
    data = bytes(range(256)) * 4

    async def chunks(size: int) -> AsyncIterator[bytes]:
        for at in range(0, len(data), size):
            yield data[at : at + size]

    spans = [(300, 712), (0, 1), (0, None), (1000, None), (1023, 1024), (5, 5), (2000, None), (1000, 5000)]
    for size in (1, 7, 100, 5000):
        for start, stop in spans:
            got = b"".join([c async for c in within(chunks(size), start, stop)])
            assert got == data[start:stop], (size, start, stop)


def test_a_download_serves_a_range(tmp_path: Path) -> None:
    data = ASTRONAUT.read_bytes()
    with TestClient(create_app(service_settings(tmp_path))) as client:
        file_id = client.post("/api/upload", files={"file": ("a.png", data)}).json()["data"]["file_id"]
        whole = client.get(f"/api/download/{file_id}")
        assert whole.status_code == 200
        assert whole.headers["accept-ranges"] == "bytes"
        part = client.get(f"/api/download/{file_id}", headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        assert part.content == data[1000:2000]
        tail = client.get(f"/api/download/{file_id}", headers={"Range": "bytes=-10"})
        assert tail.content == data[-10:]
        past = client.get(f"/api/download/{file_id}", headers={"Range": f"bytes={len(data)}-"})
        assert past.status_code == 416
        assert past.headers["content-range"] == f"bytes */{len(data)}"
