"""``upscale`` and the enhancer's fidelity ``weight`` as task parameters: refused at creation when the model
is missing or the name unknown, carried to the worker, the output as large as the upscaler makes it and
no larger than the limits allow."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from faceswap.config import InputLimits
from faceswap.service.api.app import create_app
from tests.cli.test_swap_neural import install_standins
from tests.service.helpers import run_classic_task, service_settings
from tests.service.test_swap_option_tasks import task

FACE = (slice(100, 140), slice(200, 250))


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    install_standins(folder, "identity")
    return folder


async def test_an_upscaled_photo_is_twice_as_large(any_queue: Any, tmp_path: Path, models: Path) -> None:
    done, image = await run_classic_task(any_queue, tmp_path, task(upscale="real_esrgan_x2"))
    assert done.status == "COMPLETED", done.error
    assert image is not None
    assert image.shape == (1024, 1024, 3)  # the 512 x 512 astronaut, doubled
    assert done.result["upscale"] == "real_esrgan_x2"
    assert (done.result["width"], done.result["height"]) == (1024, 1024)
    _, plain = await run_classic_task(any_queue, tmp_path, task())
    assert plain is not None
    # the stand-in repeats pixels: every 2 x 2 block of the output is one pixel of the swap
    assert np.abs(image[::2, ::2].astype(int) - plain.astype(int)).mean() < 1.0


async def test_an_upscale_over_the_limits_fails_bad_option(
    any_queue: Any, tmp_path: Path, models: Path
) -> None:
    limits = InputLimits(max_image_pixels=600 * 600)  # the 512 x 512 input fits, 1024 x 1024 does not
    done, _ = await run_classic_task(any_queue, tmp_path, task(upscale="real_esrgan_x2"), limits)
    assert done.status == "FAILED"
    assert done.error.code == "bad_option"
    assert "1024x1024" in done.error.message
    assert "real_esrgan_x2" in done.error.message


async def test_the_enhancer_weight_reaches_codeformer(any_queue: Any, tmp_path: Path, models: Path) -> None:
    """The CodeFormer stand-in answers ``-input * weight``: weight 0 turns the face mid-grey."""
    done, zero = await run_classic_task(
        any_queue, tmp_path, task(enhancer="codeformer", enhancer_blend=1.0, enhancer_weight=0.0)
    )
    assert done.status == "COMPLETED", done.error
    _, full = await run_classic_task(any_queue, tmp_path, task(enhancer="codeformer", enhancer_blend=1.0))
    assert zero is not None
    assert full is not None
    assert np.abs(zero[FACE].astype(int) - 128).mean() < 3
    assert np.abs(full[FACE].astype(int) - 128).mean() > 20


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        yield client


def test_an_unknown_upscale_is_refused_at_creation(api: TestClient) -> None:
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg"}
    for options in ({"upscale": "real_esrgan_x3"}, {"upscale_blend": 1.5}):
        body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": {**wf, **options}}}}
        answer = api.post("/api/tasks/create", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "bad_request"


def test_the_options_route_lists_the_upscalers_and_the_enhancers(api: TestClient) -> None:
    data = api.get("/api/options").json()["data"]
    assert data["upscale"] == [
        "none",
        "real_esrgan_x2",
        "real_esrgan_x2_fp16",
        "real_esrgan_x4",
        "real_esrgan_x4_fp16",
        "span_kendata_x4",
    ]
    assert {"gpen_bfr_256", "gpen_bfr_2048", "gfpgan_1.2", "gfpgan_1.3"} <= set(data["enhancer"])
    assert data["defaults"]["upscale"] == "none"
    assert data["defaults"]["enhancer_weight"] == 1.0


@pytest.mark.parametrize(
    ("route", "fields"),
    [
        ("/api/tasks/create", None),
        ("/api/face-swap/create-task", {"upscale": "real_esrgan_x4"}),
    ],
)
def test_a_missing_upscaler_is_refused_at_creation(
    tmp_path: Path, route: str, fields: dict[str, str] | None
) -> None:
    (tmp_path / "models").mkdir()  # this API has a models folder: it can tell what is installed
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg"}
    if fields is None:
        body: dict[str, Any] = {
            "workflow": "face_swap",
            "params": {"input_data": {"wf_json": {**wf, "upscale": "real_esrgan_x4"}}},
        }
    else:
        body = {**wf, **fields}
    with TestClient(create_app(service_settings(tmp_path))) as client:
        answer = client.post(route, json=body)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "model_missing"
        assert "real_esrgan_x4" in answer.json()["error"]["message"]
        assert client.get("/api/tasks").json()["data"]["total"] == 0


def test_the_legacy_video_route_takes_an_upscale(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    with TestClient(create_app(service_settings(tmp_path))) as client:
        answer = client.post(
            "/api/video-swap",
            data={
                "source_url": "https://example.com/a.jpg",
                "target_url": "https://example.com/b.mp4",
                "upscale": "span_kendata_x4",
            },
        )
        assert answer.status_code == 503, answer.text
        assert "span_kendata_x4" in answer.json()["error"]["message"]


async def test_an_upscaled_video_task_is_twice_as_large_with_its_frames(
    any_queue: Any, tmp_path: Path, models: Path
) -> None:
    from tests.cli.test_swap_video import FRAMES, SIZE, write_clip

    clip = write_clip(tmp_path / "clip.mp4")
    create = task(upscale="real_esrgan_x2_fp16")
    create.wf.target_url = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()
    done, _ = await run_classic_task(any_queue, tmp_path, create)
    assert done.status == "COMPLETED", done.error
    assert done.result["kind"] == "video"
    assert (done.result["width"], done.result["height"]) == (2 * SIZE[0], 2 * SIZE[1])
    assert done.result["frames"] == FRAMES
    assert done.result["upscale"] == "real_esrgan_x2_fp16"
    limits = InputLimits(max_video_pixels=SIZE[0] * SIZE[1] * 2)  # the clip fits, twice its sides do not
    done, _ = await run_classic_task(any_queue, tmp_path, create, limits)
    assert done.status == "FAILED"
    assert done.error.code == "bad_option"
