"""The engine service's routes in process: health, local path inputs only under the input root."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceswap.engine_server.app import create_engine_app
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import service_settings


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    root.mkdir()
    shutil.copy(ASTRONAUT, root / "target.png")
    shutil.copy(GRACE, root / "source.jpg")
    return root


@pytest.fixture
def client(tmp_path: Path, shared: Path) -> Iterator[TestClient]:
    settings = service_settings(tmp_path / "data")
    settings.engine_server.input_root = shared
    with TestClient(create_engine_app(settings)) as client:
        yield client


def test_health_names_the_engine(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["engine"] == "classic"
    assert answer.json()["busy"] == 0


def test_local_paths_under_the_input_root_are_swapped(client: TestClient, shared: Path) -> None:
    body = {"source_url": str(shared / "source.jpg"), "target_url": f"file://{shared / 'target.png'}"}
    answer = client.post("/process", json={**body, "return_base64": True})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["status"] == "success"
    assert data["metadata"]["faces_swapped"] == 1
    assert data["output_path"].startswith("http://testserver/api/download/results/")
    fetched = client.get(data["output_path"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert data["image_base64"]


@pytest.mark.parametrize(
    "target",
    [
        "/etc/hostname",
        "{shared}/../outside.png",
        "{shared}/link.png",
        "relative/path.png",
        "ftp://host/x.png",
    ],
)
def test_other_local_paths_and_schemes_are_refused(
    client: TestClient, shared: Path, tmp_path: Path, target: str
) -> None:
    shutil.copy(ASTRONAUT, tmp_path / "outside.png")
    (shared / "link.png").symlink_to(tmp_path / "outside.png")
    body = {"source_url": str(shared / "source.jpg"), "target_url": target.format(shared=shared)}
    answer = client.post("/process", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "url_forbidden"


def test_no_local_path_is_read_without_an_input_root(tmp_path: Path, shared: Path) -> None:
    with TestClient(create_engine_app(service_settings(tmp_path / "data"))) as client:
        body = {"source_url": str(shared / "source.jpg"), "target_url": str(shared / "target.png")}
        answer = client.post("/process", json=body)
    assert answer.status_code == 422
    assert "input_root" in answer.json()["error"]["message"]


def test_an_engine_error_keeps_its_code(client: TestClient, shared: Path) -> None:
    blank = shared / "blank.png"
    from PIL import Image

    Image.new("RGB", (64, 64), "white").save(blank)
    answer = client.post(
        "/process", json={"source_url": str(blank), "target_url": str(shared / "target.png")}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "no_face_in_source"
