"""``POST /api/faces/detect`` and ``GET /api/options`` over HTTP (no browser)."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image

from faceswap.choices import EngineName, FaceMode, ImageFormat, LandmarkerName, choices
from faceswap.service.processors.detect import CROP_SIDE, crop_box
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live


def upload(client: httpx.Client, data: bytes, name: str) -> str:
    answer = client.post("/api/upload", files={"file": (name, data)})
    return str(answer.json()["data"]["file_id"])


def test_detect_numbers_faces_left_to_right_with_crops(live: Live) -> None:
    left, right = Image.open(GRACE).convert("RGB"), Image.open(ASTRONAUT).convert("RGB")
    group = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), (128, 128, 128))
    group.paste(left, (0, 0))
    group.paste(right, (left.width, 0))
    buffer = io.BytesIO()
    group.save(buffer, format="PNG")
    with live.client() as client:
        file_id = upload(client, buffer.getvalue(), "group.png")
        data = client.post("/api/faces/detect", json={"target_url": file_id}).json()["data"]
        assert (data["width"], data["height"]) == group.size
        assert data["engine"] == "classic"
        faces = data["faces"]
        assert [f["index"] for f in faces] == [0, 1]
        assert faces[0]["box"][2] <= left.width < faces[1]["box"][0]  # Grace first, then the astronaut
        for face in faces:
            crop = Image.open(io.BytesIO(client.get(face["crop_url"]).content))
            assert crop.format == "JPEG"
            assert max(crop.size) <= CROP_SIDE
        # a crop is a usable reference photo: the detector finds the face in it again
        again = client.post("/api/faces/detect", json={"target_url": faces[1]["file_id"]}).json()["data"]
        assert len(again["faces"]) == 1


def test_detect_on_a_photo_without_faces_finds_none(live: Live) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 300, 3), 200, np.uint8)).save(buffer, format="PNG")
    with live.client() as client:
        file_id = upload(client, buffer.getvalue(), "wall.png")
        data = client.post("/api/faces/detect", json={"target_url": file_id}).json()["data"]
        assert data["faces"] == []
        missing = client.post("/api/faces/detect", json={"target_url": "0" * 32})
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


def test_options_are_the_literal_choices(live: Live) -> None:
    with live.client() as client:
        data = client.get("/api/options").json()["data"]
    assert data["engine"] == list(choices(EngineName))
    assert data["face_mode"] == list(choices(FaceMode))
    assert data["image_format"] == list(choices(ImageFormat))
    assert data["landmarker"] == list(choices(LandmarkerName))
    assert data["detector_angles"] == [0, 90, 180, 270]
    assert data["defaults"]["engine"] == "classic"
    assert data["defaults"]["landmarker"] == "none"
    assert data["defaults"]["detector_angles"] == [0]
    assert data["max_upload_bytes"] > 0


def test_crop_box_is_a_square_around_the_face_clipped_to_the_image() -> None:
    assert crop_box((40.0, 40.0, 60.0, 80.0), 200, 200, margin=0.5) == (10, 20, 90, 100)
    assert crop_box((0.0, 0.0, 20.0, 20.0), 30, 30, margin=0.5) == (0, 0, 30, 30)


def test_the_page_and_its_modules_are_served(live: Live) -> None:
    with live.client() as client:
        page = client.get("/")
        assert page.status_code == 200
        assert 'src="/web/js/app.js"' in page.text
        module = client.get("/web/js/app.js")
        assert module.headers["content-type"].startswith("text/javascript")
