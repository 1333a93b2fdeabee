"""Task creation refuses a swapper engine whose models are not installed, its embedding converter included."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from faceswap.models.catalog import CATALOG
from faceswap.service.api.app import create_app
from tests.cli.test_swap_neural import install_standins
from tests.service.helpers import service_settings


def create(client: TestClient, model: str) -> tuple[int, dict[str, object]]:
    wf = {
        "source_url": "https://example.com/a.jpg",
        "target_url": "https://example.com/b.jpg",
        "model": model,
    }
    answer = client.post(
        "/api/tasks/create", json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    )
    return answer.status_code, answer.json()


def test_a_missing_converter_is_refused_at_creation(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    install_standins(folder, "constant")  # detector, ArcFace, the inswappers ...
    swapper = CATALOG["ghost_1_256"]
    (folder / swapper.file).write_bytes(b"a ghost stand-in")  # ... and ghost_1_256, but no crossface_ghost
    with TestClient(create_app(service_settings(tmp_path))) as client:
        status, body = create(client, "ghost_1_256")
        assert status == 503, body
        error = body["error"]
        assert isinstance(error, dict)
        assert error["code"] == "model_missing"
        assert "crossface_ghost" in str(error["message"])
        assert "ghost_1_256" not in str(error["message"]).replace("crossface_ghost", "")
        status, body = create(client, "simswap_256")  # neither the swapper nor its converter
        assert status == 503
        assert "simswap_256" in str(body["error"])
        assert "crossface_simswap" in str(body["error"])
        status, _ = create(client, "inswapper_128")
        assert status == 200
        data = client.get("/api/options").json()["data"]
        installed = {entry["name"]: entry["installed"] for entry in data["swappers"]}
        assert installed["inswapper_128"] is True
        assert installed["ghost_1_256"] is False  # its converter is missing
