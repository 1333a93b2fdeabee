"""What ``POST /api/upload`` says about a file it refuses: the file's name, and for a picture over the pixel
limit its size and the limit (a small file can hold a huge picture)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from faceswap.service.api.app import create_app
from tests.limits.conftest import with_png_size
from tests.service.helpers import service_settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        yield client


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_text_file_named_jpg_is_refused_naming_the_file(client: TestClient) -> None:
    answer = client.post("/api/upload", files={"file": ("holiday.jpg", b"just some notes\n", "image/jpeg")})
    assert answer.status_code == 415
    error = answer.json()["error"]
    assert error["code"] == "unsupported_format"
    assert error["message"].startswith("holiday.jpg: ")
    assert "not a supported image or video" in error["message"]


def test_a_picture_over_the_pixel_limit_says_its_size_and_the_limit(client: TestClient) -> None:
    huge = with_png_size(small_png(), 10_000, 10_000)  # 100 megapixels in a file of a few hundred bytes
    assert len(huge) < 1000
    answer = client.post("/api/upload", files={"file": ("poster.png", huge, "image/png")})
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "input_too_large"
    message = error["message"]
    assert message.startswith("poster.png: the PNG image is 10000x10000 pixels (100 megapixels)")
    assert "the limit is 64 megapixels (64000000 pixels)" in message
    assert "bytes" not in message  # not a byte limit


def test_a_decompression_bomb_says_its_pixels(client: TestClient) -> None:
    bomb = with_png_size(small_png(), 100_000, 100_000)  # past Pillow's own refusal
    error = client.post("/api/upload", files={"file": ("bomb.png", bomb, "image/png")}).json()["error"]
    assert error["code"] == "input_too_large"
    assert "has 10000 megapixels; the limit is 64 megapixels" in error["message"]
