"""``GET /api/options`` says, for every model-backed choice, whether its models are installed and the one
command that installs what is missing; ``model_missing`` answers and task errors name no server path."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faceswap.choices import EnhancerModelName, FrameEnhancerName, SwapperName, choices
from faceswap.config import EngineSettings
from faceswap.errors import ModelMissingError, recorded_error
from faceswap.models.catalog import CATALOG
from faceswap.service.api.app import create_app
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from tests.cli.test_swap_neural import install_standins
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import running_worker, service_settings


def options(tmp_path: Path) -> dict[str, Any]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        return dict(client.get("/api/options").json()["data"])


def test_every_model_backed_choice_says_whether_it_is_installed(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    install_standins(folder, "constant")  # scrfd, ArcFace, the inswappers, the landmarkers ...
    (folder / CATALOG["fan_68_5"].file).unlink()  # ... but not fan_68_5
    for name in ("xseg_1", "xseg_3", "bisenet_resnet_34", "codeformer", "span_kendata_x4", "fairface"):
        (folder / CATALOG[name].file).unlink(missing_ok=True)
    (folder / CATALOG["xseg_2"].file).write_bytes(b"an occluder stand-in")
    data = options(tmp_path)
    models = data["models"]
    assert set(models) == {
        "engine",
        "enhancer",
        "upscale",
        "occluder",
        "face_parser",
        "landmarker",
        "face_filters",
    }
    assert list(models["engine"]) == list(choices(SwapperName))
    assert list(models["enhancer"]) == list(choices(EnhancerModelName))
    assert list(models["upscale"]) == list(choices(FrameEnhancerName))
    assert models["engine"]["inswapper_128"] == {
        "models": ["scrfd_2.5g", "arcface_w600k_r50", "inswapper_128"],
        "installed": True,
        "missing": [],
        "download": None,
    }
    ghost = models["engine"]["ghost_1_256"]
    assert ghost["installed"] is False
    # every missing model of the choice at once, none that is there
    assert ghost["download"] == "faceswap models download ghost_1_256 crossface_ghost"
    assert models["landmarker"] == {
        "2dfan4": {
            "models": ["2dfan4", "fan_68_5"],
            "installed": False,
            "missing": ["fan_68_5"],
            "download": "faceswap models download fan_68_5",
        }
    }
    assert models["occluder"]["xseg_2"]["installed"] is True
    assert models["occluder"]["xseg_1"]["download"] == "faceswap models download xseg_1"
    assert models["face_parser"]["bisenet_resnet_34"]["installed"] is False
    assert models["enhancer"]["codeformer"]["download"] == "faceswap models download codeformer"
    assert models["upscale"]["span_kendata_x4"]["installed"] is False
    assert models["face_filters"]["fairface"]["download"] == "faceswap models download fairface"
    swappers = {entry["name"]: entry for entry in data["swappers"]}
    assert swappers["ghost_1_256"]["download"] == ghost["download"]
    assert swappers["inswapper_128"]["download"] is None
    # what the page needs beside: the masks' default models and the pixel limit
    assert (data["defaults"]["occluder"], data["defaults"]["face_parser"]) == ("xseg_1", "bisenet_resnet_34")
    assert data["max_image_pixels"] == 64_000_000


def test_without_a_models_folder_nothing_is_known_and_every_model_is_named(tmp_path: Path) -> None:
    models = options(tmp_path)["models"]
    simswap = models["engine"]["simswap_256"]
    assert simswap["installed"] is None
    assert simswap["missing"] is None
    assert simswap["download"] == (
        "faceswap models download scrfd_2.5g arcface_w600k_r50 simswap_256 crossface_simswap"
    )
    assert all(entry["installed"] is None for field in models.values() for entry in field.values())


@pytest.mark.parametrize(
    "path",
    [
        "/var/lib/faceswap/models/inswapper_128.onnx",
        "data/models/inswapper_128.onnx",  # a relative data folder
        "C:\\faceswap\\models\\inswapper_128.onnx",
    ],
)
def test_model_missing_names_the_file_and_never_its_folder(path: str) -> None:
    error = ModelMissingError("inswapper_128", path)
    assert path in error.message  # the CLI's own words keep where it looked
    public = error.to_dict()["message"]
    assert "inswapper_128.onnx" in public
    assert "models/" not in public
    assert "\\" not in public
    assert "faceswap models download inswapper_128" in public


def test_an_api_answer_model_missing_names_no_path(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg"}
    with TestClient(create_app(service_settings(tmp_path))) as client:
        for extra in ({"model": "inswapper_128"}, {"landmarker": "2dfan4", "enhancer": "codeformer"}):
            body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": {**wf, **extra}}}}
            answer = client.post("/api/tasks/create", json=body)
            assert answer.status_code == 503, answer.text
            error = answer.json()["error"]
            assert error["code"] == "model_missing"
            assert str(tmp_path) not in error["message"]
            assert "models/" not in error["message"]


def data_url(path: Path) -> str:
    return f"data:image/{path.suffix.lstrip('.')};base64," + base64.b64encode(path.read_bytes()).decode()


async def test_a_task_failing_model_missing_on_the_worker_names_no_path(
    any_queue: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative data folder (``FACESWAP_DATA_DIR=data``): the worker's "expected at data/models/..." stays
    in its log."""
    monkeypatch.chdir(tmp_path)
    install_standins(tmp_path / "data" / "models", "constant")
    settings = service_settings(Path("data"))
    settings = settings.model_copy(update={"engine": EngineSettings(engine="classic", providers=["cpu"])})
    wf = {
        "source_url": data_url(GRACE),
        "target_url": data_url(ASTRONAUT),
        "model": "inswapper_128",
        "mask_types": ["occlusion"],
    }
    create = TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})
    client = TaskClient(any_queue, settings.service)
    async with running_worker(any_queue, settings):
        created = await client.submit(create)  # submitted past the API's own check
        done = await client.wait(created.task_id, timeout=60)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "model_missing"
    assert "xseg_1.onnx" in done.error.message
    assert "data/models" not in done.error.message
    assert str(tmp_path) not in done.error.message


def test_a_recorded_model_missing_is_answered_as_recorded() -> None:
    """Routes that wait for a task (preview, face detection) answer its recorded ``{code, message}``."""
    recorded = recorded_error("model_missing", "model 'xseg_1' is not installed (no xseg_1.onnx in ...)")
    assert isinstance(recorded, ModelMissingError)
    assert recorded.to_dict()["message"] == "model 'xseg_1' is not installed (no xseg_1.onnx in ...)"
