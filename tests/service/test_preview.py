"""``POST /api/preview``: one frame swapped and answered within the request, run as a hidden task.

A photo's preview changes its face and nothing else (the frame downscaled to 1280 px first); a video's
preview at frame N (or second S) is frame N's swap, told apart by a code block whose grey level is the
frame's number; a preview past its timeout answers 504 and its task is stopped; previews count against the
key's rate limit; bad positions are 422; no preview ever shows in the task list.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from PIL import Image

from faceswap.config import Settings
from faceswap.service.api.app import create_app
from faceswap.service.processors import preview as preview_processor
from faceswap.service.processors.preview import downscale
from faceswap.service.queue import open_queue
from faceswap.service.tasks.preview import PREVIEW_MAX_SIDE
from faceswap.service.tasks.records import is_preview_job, task_from_job
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import service_settings
from tests.service.test_api_keys import create_key
from tests.video.videoclips import face_frame

CLIP_SIZE = (480, 360)
CLIP_FPS = 10
CLIP_FRAMES = 12
CODE_BOX = (slice(0, 24), slice(0, 24))
"""Rows and columns of the top-left block whose grey level is ``CODE_STEP`` times the frame's number."""
CODE_STEP = 20


def upload(client: TestClient, data: bytes, name: str) -> str:
    answer = client.post("/api/upload", files={"file": (name, data)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["file_id"])


def png(image: NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def decoded(data: dict[str, Any]) -> NDArray[np.int16]:
    prefix = "data:image/jpeg;base64,"
    assert data["image"].startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(data["image"][len(prefix) :])))
    assert image.format == "JPEG"
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def code_frame(index: int) -> NDArray[np.uint8]:
    """Frame ``index`` of the clip (BGR): the moving face, and the code block."""
    frame = face_frame(CLIP_SIZE, index / (CLIP_FRAMES - 1))
    frame[CODE_BOX] = CODE_STEP * index
    return frame


def write_code_clip(path: Path) -> Path:
    """A constant 10 fps H.264 clip of ``CLIP_FRAMES`` frames, each marked with its number."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=CLIP_FPS, options={"preset": "ultrafast", "crf": "12"})
        stream.width, stream.height = CLIP_SIZE
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, CLIP_FPS)
        stream.codec_context.time_base = Fraction(1, CLIP_FPS)
        for index in range(CLIP_FRAMES):
            frame = av.VideoFrame.from_ndarray(code_frame(index), format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, CLIP_FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def face_box(index: int) -> tuple[slice, slice]:
    """Where :func:`face_frame` puts the face photo in frame ``index``."""
    width, height = CLIP_SIZE
    t = index / (CLIP_FRAMES - 1)
    side = max(8, int(min(width, height) * (0.45 + 0.25 * t)))
    x, y = int((width - side) * t), (height - side) // 2
    return slice(y, y + side), slice(x, x + side)


def code_of(image: NDArray[np.int16]) -> float:
    return float(image[CODE_BOX].mean()) / CODE_STEP


async def stored_jobs(settings: Settings) -> list[Any]:
    queue = open_queue(settings.queue.url, name=settings.queue.name, data_dir=settings.data_dir)
    await queue.connect()
    try:
        return [job async for job in queue.iter_jobs()]
    finally:
        await queue.disconnect()


def preview_tasks(settings: Settings) -> list[Any]:
    return [task_from_job(job) for job in asyncio.run(stored_jobs(settings)) if is_preview_job(job)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return service_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, workers=1)) as client:
        yield client


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_code_clip(tmp_path_factory.mktemp("preview") / "numbered.mp4")


def test_a_photo_preview_changes_the_face_and_not_the_rest_downscaled(
    client: TestClient, settings: Settings
) -> None:
    # the astronaut in the middle of a 1600x1000 grey canvas: downscaled to 1280x800 before the swap
    canvas = np.full((1000, 1600, 3), 128, np.uint8)
    astronaut = np.asarray(Image.open(ASTRONAUT).convert("RGB"))
    top, left = 240, 544
    canvas[top : top + 512, left : left + 512] = astronaut
    source = upload(client, GRACE.read_bytes(), "grace.jpg")
    target = upload(client, png(canvas), "canvas.png")
    answer = client.post("/api/preview", json={"source_url": source, "target_url": target})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["content_type"] == "image/jpeg"
    assert (data["width"], data["height"]) == (PREVIEW_MAX_SIDE, 800)
    assert (data["target_width"], data["target_height"], data["downscaled"]) == (1600, 1000, True)
    assert (data["faces_found"], data["faces_swapped"], data["engine"]) == (1, 1, "classic")
    assert data["target_kind"] == "image"
    assert data["processing_time"] > 0
    swapped = decoded(data)
    assert swapped.shape == (800, 1280, 3)
    before = np.asarray(Image.fromarray(canvas).resize((1280, 800), Image.Resampling.BOX), dtype=np.int16)
    diff = np.abs(swapped - before).max(axis=2)
    # the astronaut's square, scaled by 0.8: everything that changed lies in it, and its face changed
    y0, x0, side = round(top * 0.8), round(left * 0.8), round(512 * 0.8)
    inside = np.zeros(diff.shape, bool)
    inside[y0 : y0 + side, x0 : x0 + side] = True
    assert float(diff[~inside].mean()) < 2.0
    assert int((diff[~inside] > 40).sum()) == 0
    assert int((diff[inside] > 40).sum()) > 800
    # nothing listed, the hidden task finished, no file stored for it
    assert client.get("/api/tasks").json()["data"]["total"] == 0
    hidden = preview_tasks(settings)
    assert [(t.task_id, t.status) for t in hidden] == [(data["task_id"], "COMPLETED")]
    assert not list((settings.data_dir / "files").glob("results/**/*.*"))


def test_a_video_preview_is_the_swap_of_the_frame_asked_for(
    client: TestClient, settings: Settings, clip: Path
) -> None:
    source = upload(client, GRACE.read_bytes(), "grace.jpg")
    target = upload(client, clip.read_bytes(), "numbered.mp4")
    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]
    assert [round(code_of(f)) for f in frames] == list(range(CLIP_FRAMES))
    seen = {}
    for position, expected in (({"frame": 7}, 7), ({"time_s": 0.3}, 3), ({}, 0), ({"frame": 11}, 11)):
        answer = client.post("/api/preview", json={"source_url": source, "target_url": target, **position})
        assert answer.status_code == 200, (position, answer.text)
        data = answer.json()["data"]
        assert (data["target_kind"], data["frame"]) == ("video", expected)
        assert data["time_s"] == pytest.approx(expected / CLIP_FPS)
        assert (data["width"], data["height"], data["downscaled"]) == (*CLIP_SIZE, False)
        assert data["faces_swapped"] == 1
        image = decoded(data)
        assert code_of(image) == pytest.approx(expected, abs=0.2)  # that frame's code block
        diff = np.abs(image - frames[expected]).max(axis=2)
        outside = np.ones(diff.shape, bool)
        outside[face_box(expected)] = False
        # that frame's face was swapped, and nothing else changed
        assert float(diff[face_box(expected)].mean()) > 4 * float(diff[outside].mean())
        assert int((diff[outside] > 30).sum()) < 20  # (JPEG ringing at the edges)
        seen[expected] = image
    # the face moves: frame 7's swap is not frame 3's
    assert float(np.abs(seen[7] - seen[3]).mean()) > 5
    assert client.get("/api/tasks").json()["data"]["total"] == 0
    assert {t.status for t in preview_tasks(settings)} == {"COMPLETED"}


def test_positions_outside_the_video_or_on_a_photo_are_refused(client: TestClient, clip: Path) -> None:
    source = upload(client, GRACE.read_bytes(), "grace.jpg")
    video = upload(client, clip.read_bytes(), "numbered.mp4")
    photo = upload(client, ASTRONAUT.read_bytes(), "astronaut.png")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"target_url": video, "frame": CLIP_FRAMES}, "bad_option"),
        ({"target_url": video, "time_s": 5.0}, "bad_option"),
        ({"target_url": video, "frame": -1}, "bad_request"),
        ({"target_url": video, "time_s": -0.5}, "bad_request"),
        ({"target_url": video, "frame": 1, "time_s": 0.1}, "bad_request"),
        ({"target_url": video, "frame": "two"}, "bad_request"),
        ({"target_url": photo, "frame": 3}, "bad_option"),
    ]
    for body, code in cases:
        answer = client.post("/api/preview", json={"source_url": source, **body})
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == code, (body, answer.text)
    assert (
        "past the end"
        in client.post("/api/preview", json={"source_url": source, "target_url": video, "frame": 99}).json()[
            "error"
        ]["message"]
    )
    # the usual input errors
    no_source = client.post("/api/preview", json={"target_url": photo})
    assert (no_source.status_code, no_source.json()["error"]["code"]) == (422, "bad_request")
    unknown = client.post("/api/preview", json={"source_url": source, "target_url": "0" * 32})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    missing = client.post(
        "/api/preview", json={"source_url": source, "target_url": photo, "model": "inswapper_128"}
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (503, "model_missing")
    assert client.get("/api/tasks").json()["data"]["total"] == 0


def test_a_preview_task_cannot_be_created_or_retried_as_a_task(
    client: TestClient, settings: Settings
) -> None:
    source = upload(client, GRACE.read_bytes(), "grace.jpg")
    photo = upload(client, ASTRONAUT.read_bytes(), "astronaut.png")
    wf = {"source_url": source, "target_url": photo}
    body = {"workflow": "face_preview", "params": {"input_data": {"wf_json": wf}}}
    created = client.post("/api/tasks/create", json=body)
    assert (created.status_code, created.json()["error"]["code"]) == (422, "bad_option")
    failed = client.post("/api/preview", json={**wf, "model": "inswapper_128"})
    assert failed.status_code == 503
    (task,) = preview_tasks(settings)
    retried = client.post(f"/api/tasks/{task.task_id}/retry")
    assert (retried.status_code, retried.json()["error"]["code"]) == (409, "task_not_retryable")


def test_a_preview_past_its_timeout_answers_504_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview whose swap hangs: 504 ``timeout`` after ``preview_timeout_s``, and the hung work is told to
    stop; the task ends CANCELLED, never listed, nothing left PROCESSING."""
    stopped = threading.Event()
    started = threading.Event()

    def hang(run: Any, *args: Any) -> dict[str, Any]:
        started.set()
        deadline = time.monotonic() + 30
        while not run.should_cancel() and time.monotonic() < deadline:
            time.sleep(0.02)
        stopped.set()
        raise RuntimeError("hung preview stopped")

    monkeypatch.setattr(preview_processor, "_preview", hang)
    settings = service_settings(tmp_path, preview_timeout_s=1.5)
    with TestClient(create_app(settings, workers=1)) as client:
        source = upload(client, GRACE.read_bytes(), "grace.jpg")
        photo = upload(client, ASTRONAUT.read_bytes(), "astronaut.png")
        asked = time.monotonic()
        answer = client.post("/api/preview", json={"source_url": source, "target_url": photo})
        waited = time.monotonic() - asked
        assert answer.status_code == 504, answer.text
        assert answer.json()["error"]["code"] == "timeout"
        assert 1.5 <= waited < 5
        assert started.is_set()
        assert stopped.wait(5), "the hung preview was not told to stop"
        deadline = time.monotonic() + 10
        while (statuses := [t.status for t in preview_tasks(settings)]) != ["CANCELLED"]:
            assert time.monotonic() < deadline, statuses
            time.sleep(0.1)
        assert client.get("/api/tasks").json()["data"]["total"] == 0


def test_a_preview_no_worker_takes_in_time_is_taken_off_the_queue(tmp_path: Path) -> None:
    settings = service_settings(tmp_path, preview_timeout_s=0.5)
    with TestClient(create_app(settings, workers=0)) as client:
        source = upload(client, GRACE.read_bytes(), "grace.jpg")
        photo = upload(client, ASTRONAUT.read_bytes(), "astronaut.png")
        answer = client.post("/api/preview", json={"source_url": source, "target_url": photo})
        assert (answer.status_code, answer.json()["error"]["code"]) == (504, "timeout")
        assert [t.status for t in preview_tasks(settings)] == ["CANCELLED"]
        assert client.get("/api/tasks").json()["data"]["total"] == 0


def data_url(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def test_previews_count_against_the_keys_rate_limit(tmp_path: Path) -> None:
    settings = service_settings(tmp_path, rate_limit_burst=2)
    secret = create_key(settings, "previewer", rate_limit=6.0)  # 2 requests in any 20 s
    headers = {"Authorization": f"Bearer {secret}"}
    wf = {"source_url": data_url(GRACE, "image/jpeg"), "target_url": data_url(ASTRONAUT, "image/png")}
    with TestClient(create_app(settings, workers=1)) as client:
        answers = [client.post("/api/preview", json=wf, headers=headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429], answers[-1].text
        assert answers[0].json()["data"]["faces_swapped"] == 1
        refused = answers[2]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert (
            client.get("/api/tasks", headers={"X-API-Key": create_key(settings, "other")}).status_code == 200
        )


def test_downscale_keeps_the_aspect_and_small_frames() -> None:
    wide = np.zeros((1000, 3000, 3), np.uint8)
    assert downscale(wide, 1280).shape == (427, 1280, 3)
    small = np.zeros((200, 300, 3), np.uint8)
    assert downscale(small, 1280) is small
