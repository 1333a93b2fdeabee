"""``extra_faces`` over HTTP: faces drawn by hand around people the detector missed (classic engine).

The six-person photo at 700 px (:mod:`faceswap.testing.six_people`) has one person the classic detector
misses (faces 30 to 42 px); a box drawn around them adds face 5.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import pytest
from PIL import Image

from faceswap.engine.extra_faces import MIN_BOX_SIDE
from faceswap.testing.six_people import six_people
from tests.service.conftest import FACES, GRACE
from tests.service.live import Live, wait_status
from tests.video.videoclips import write_clip
from tests.web.test_faces_api import upload

MISSED = 2
WIDTH = 700


@pytest.fixture(scope="module")
def group() -> tuple[bytes, list[tuple[float, ...]]]:
    image, boxes = six_people(FACES, WIDTH)
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes(), boxes


def drawn(boxes: list[tuple[float, ...]]) -> list[float]:
    return [round(v) for v in boxes[MISSED]]


def test_detect_adds_the_face_inside_a_drawn_box_after_the_detected_ones(
    live: Live, group: tuple[bytes, list[tuple[float, ...]]]
) -> None:
    data, boxes = group
    with live.client() as client:
        file_id = upload(client, data, "six.png")
        found = client.post("/api/faces/detect", json={"target_url": file_id}).json()["data"]["faces"]
        assert len(found) == 5
        body = {"target_url": file_id, "extra_faces": [drawn(boxes), [10, 330, 70, 400]]}
        answer = client.post("/api/faces/detect", json=body)
        assert answer.status_code == 200, answer.text
        faces = answer.json()["data"]["faces"]
    assert [f["index"] for f in faces] == [0, 1, 2, 3, 4, 5, 6]
    assert [f.get("added", False) for f in faces] == [False] * 5 + [True, True]
    x1, y1, x2, y2 = faces[5]["box"]
    bx1, by1, bx2, by2 = boxes[MISSED]
    assert bx1 <= (x1 + x2) / 2 <= bx2
    assert by1 <= (y1 + y2) / 2 <= by2
    assert faces[5]["score"] > 0  # found by the detector inside the box
    assert faces[6]["score"] == 0  # background: landmarks placed in the box (the fallback)
    assert faces[6]["box"][0] >= 0


@pytest.mark.parametrize(
    ("box", "words"),
    [
        ([10, 10, 10 + MIN_BOX_SIDE - 1, 60], "at least"),
        ([60, 10, 10, 60], "at least"),
        ([-5, 10, 60, 60], "outside"),
        ([10, 10, 60], "four numbers"),
    ],
)
def test_a_malformed_box_is_refused_at_creation_with_bad_option(
    live: Live, box: list[float], words: str
) -> None:
    with live.client() as client:
        for route, body in (
            ("/api/faces/detect", {"target_url": "0" * 32, "extra_faces": [box]}),
            (
                "/api/tasks/create",
                {
                    "workflow": "face_swap",
                    "params": {
                        "input_data": {
                            "wf_json": {"source_url": "a", "target_url": "b", "extra_faces": [box]}
                        }
                    },
                },
            ),
        ):
            answer = client.post(route, json=body)
            assert answer.status_code == 422, answer.text
            error = answer.json()["error"]
            assert error["code"] == "bad_option"
            assert words in error["message"]


def test_a_box_outside_the_photo_fails_the_task_with_bad_option(
    live: Live, group: tuple[bytes, list[tuple[float, ...]]]
) -> None:
    data, _ = group
    with live.client() as client:
        file_id = upload(client, data, "six.png")
        body = {"target_url": file_id, "extra_faces": [[600, 300, WIDTH + 10, 400]]}
        answer = client.post("/api/faces/detect", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "bad_option"
    assert "outside the 700x420 image" in answer.json()["error"]["message"]


def test_a_swap_task_maps_a_source_onto_the_added_face(
    live: Live, group: tuple[bytes, list[tuple[float, ...]]]
) -> None:
    data, boxes = group
    with live.client() as client:
        target = upload(client, data, "six.png")
        source = upload(client, GRACE.read_bytes(), "grace.jpg")
        wf = {"source_url": source, "target_url": target, "mapping": {"0": 5}, "extra_faces": [drawn(boxes)]}
        created = client.post(
            "/api/tasks/create",
            json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}},
        )
        assert created.status_code == 200, created.text
        task = wait_status(client, created.json()["data"]["taskId"], {"COMPLETED", "FAILED"}, timeout=120)
        assert task["status"] == "COMPLETED", task
        result = task["result"]
        assert isinstance(result, dict)
        assert (result["faces_found"], result["faces_swapped"]) == (6, 1)
        output = Image.open(io.BytesIO(client.get(result["output_url"]).content)).convert("RGB")
    before = Image.open(io.BytesIO(data)).convert("RGB")
    x1, y1, x2, y2 = drawn(boxes)
    inside_box = (x1, y1, x2, y2)
    assert output.crop(inside_box).tobytes() != before.crop(inside_box).tobytes()
    assert output.crop((0, 0, 40, 40)).tobytes() == before.crop((0, 0, 40, 40)).tobytes()


def test_boxes_on_a_video_are_a_bad_option(live: Live, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", (160, 120), (40,) * 10, audio=False).path
    with live.client() as client:
        target = upload(client, clip.read_bytes(), "clip.mp4")
        source = upload(client, GRACE.read_bytes(), "grace.jpg")
        wf = {"source_url": source, "target_url": target, "extra_faces": [[10, 10, 60, 60]]}
        created = client.post(
            "/api/tasks/create",
            json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}},
        )
        assert created.status_code == 200, created.text
        task = wait_status(client, created.json()["data"]["taskId"], {"COMPLETED", "FAILED"}, timeout=60)
    assert task["status"] == "FAILED"
    error = task["error"]
    assert isinstance(error, dict)
    assert error["code"] == "bad_option"
    assert "photos, not videos" in error["message"]


def test_a_preview_scales_the_boxes_with_the_downscaled_photo(live: Live) -> None:
    """The photo is 1600 px wide, the preview swaps it at 1280: the box around the rightmost person, in
    the photo's pixels, reaches past 1280 and must be scaled to stay on that person."""
    image, boxes = six_people(FACES, 1600)
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    box = [round(v) for v in boxes[5]]
    assert box[2] > 1280
    with live.client() as client:
        target = upload(client, encoded.tobytes(), "six-1600.png")
        source = upload(client, GRACE.read_bytes(), "grace.jpg")
        body = {"source_url": source, "target_url": target, "mapping": {"0": 6}, "extra_faces": [box]}
        answer = client.post("/api/preview", json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["downscaled"] is True
    assert (data["faces_found"], data["faces_swapped"]) == (7, 1)  # the drawn face is face 6 of 7
