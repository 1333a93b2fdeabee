"""Swap options as task parameters: validated at creation, carried to the worker's engine, and refused with
the usual codes when a model is missing or the engine cannot honour them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from faceswap.models.catalog import spec
from faceswap.models.verify import crc32_file, write_sidecar
from faceswap.service.api.app import create_app
from faceswap.service.tasks.model import TaskCreate
from faceswap.testing.mask_standins import write_xseg_standin
from tests.cli.test_swap_neural import install_standins
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import run_classic_task, service_settings

COLOUR_BGR = np.array([102, 204, 51])  # the constant stand-in's colour
BAR = (slice(120, 130), slice(200, 250))


def png_url(image: np.ndarray) -> str:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode()


def barred_astronaut() -> np.ndarray:
    image = cv2.imread(str(ASTRONAUT))
    image[118:132, 195:255] = (0, 0, 255)  # a red bar across the face
    return image


def task(**options: Any) -> TaskCreate:
    wf = {
        "source_url": "data:image/jpeg;base64," + base64.b64encode(GRACE.read_bytes()).decode(),
        "target_url": png_url(barred_astronaut()),
        "model": options.pop("model", "inswapper_128"),
        **options,
    }
    return TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    install_standins(folder, "constant")
    return folder


def add_xseg(models: Path) -> None:
    path = write_xseg_standin(models / spec("xseg_1").file)
    write_sidecar(path.with_suffix(".hash"), crc32_file(path))


async def test_an_occlusion_mask_and_pixel_boost_reach_the_engine(
    any_queue: Any, tmp_path: Path, models: Path
) -> None:
    add_xseg(models)
    done, masked = await run_classic_task(
        any_queue, tmp_path, task(mask_types=["box", "occlusion"], pixel_boost="256")
    )
    assert done.status == "COMPLETED", done.error
    _, plain = await run_classic_task(any_queue, tmp_path, task())
    assert masked is not None
    assert plain is not None
    target = barred_astronaut()
    assert np.abs(masked[BAR].astype(int) - target[BAR].astype(int)).mean() < 3  # the bar is kept
    assert np.abs(plain[BAR].astype(int) - COLOUR_BGR).mean() < 10  # without the mask it is swapped


async def test_a_missing_mask_model_fails_the_task_model_missing(
    any_queue: Any, tmp_path: Path, models: Path
) -> None:
    done, _ = await run_classic_task(any_queue, tmp_path, task(mask_types=["occlusion"]))
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "model_missing"
    assert "xseg_1" in done.error.message


async def test_the_classic_engine_refuses_neural_options(
    any_queue: Any, tmp_path: Path, models: Path
) -> None:
    done, _ = await run_classic_task(any_queue, tmp_path, task(model="classic", pixel_boost="512"))
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "bad_option"
    assert "pixel boost" in done.error.message


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        yield client


@pytest.mark.parametrize(
    "options",
    [
        {"swapper_weight": 2},
        {"pixel_boost": "300"},
        {"mask_types": ["box", "hands"]},
        {"mask_types": []},
        {"mask_padding": [1, 2, 3]},
        {"mask_padding": [200, 0, 0, 0]},
        {"mask_regions": ["ears"]},
        {"occluder": "xseg_9"},
    ],
)
def test_bad_swap_options_are_refused_at_creation(api: TestClient, options: dict[str, Any]) -> None:
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg", **options}
    answer = api.post(
        "/api/tasks/create", json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "bad_request"


def test_the_options_route_lists_the_swap_choices(api: TestClient) -> None:
    data = api.get("/api/options").json()["data"]
    assert data["mask_types"] == ["box", "occlusion", "region", "area"]
    assert "512" in data["pixel_boost"]
    assert "skin" in data["mask_regions"]
    assert data["occluder"] == ["xseg_1", "xseg_2", "xseg_3"]


def test_missing_models_are_refused_at_creation_all_named_at_once(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()  # this API has a models folder: it can tell what is installed
    wf = {
        "source_url": "https://example.com/a.jpg",
        "target_url": "https://example.com/b.jpg",
        "model": "inswapper_128",
        "enhancer": "gfpgan_1.4",
        "mask_types": ["box", "occlusion"],
    }
    body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    with TestClient(create_app(service_settings(tmp_path))) as client:
        answer = client.post("/api/tasks/create", json=body)
        assert answer.status_code == 503, answer.text
        error = answer.json()["error"]
        assert error["code"] == "model_missing"
        for name in ("scrfd_2.5g", "arcface_w600k_r50", "inswapper_128", "gfpgan_1.4", "xseg_1"):
            assert name in error["message"]
        assert str(tmp_path) not in error["message"]
        assert client.get("/api/tasks").json()["data"]["total"] == 0
        auto = {**wf, "model": "auto", "enhancer": "none", "mask_types": ["box"]}
        body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": auto}}}
        assert client.post("/api/tasks/create", json=body).status_code == 200  # auto falls back to classic


def test_an_api_without_a_models_folder_leaves_the_check_to_the_worker(tmp_path: Path) -> None:
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg"}
    body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": {**wf, "model": "inswapper_128"}}}}
    with TestClient(create_app(service_settings(tmp_path))) as client:
        assert not (tmp_path / "models").exists()
        assert client.post("/api/tasks/create", json=body).status_code == 200


def test_a_missing_landmarker_is_refused_at_creation(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg"}
    with TestClient(create_app(service_settings(tmp_path))) as client:
        for workflow in ("face_swap", "face_detect"):
            body = {
                "workflow": workflow,
                "params": {"input_data": {"wf_json": {**wf, "model": "auto", "landmarker": "2dfan4"}}},
            }
            answer = client.post("/api/tasks/create", json=body)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "model_missing"
            assert "2dfan4" in answer.json()["error"]["message"]
            assert "fan_68_5" in answer.json()["error"]["message"]
        classic = {
            **wf,
            "model": "classic",
            "landmarker": "2dfan4",
        }  # its own 68 points: no landmarker loaded
        body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": classic}}}
        assert client.post("/api/tasks/create", json=body).status_code == 200
