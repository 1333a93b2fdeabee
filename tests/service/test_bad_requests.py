"""Bad input at creation: a 422 with a stable code on every route, nothing queued and no upload left behind;
forbidden URL literals (IP literals, localhost) refused at creation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faceswap.service.api.app import create_app
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import service_settings

LONG_WEBHOOK = "https://hooks.example.com/" + "a" * 2100


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    # no private address is allowed here (the helper's settings allow 127.0.0.1 for test receivers)
    settings = service_settings(data_dir)
    settings.fetch.allow_private = []
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def stored_files(data_dir: Path) -> list[Path]:
    uploads = data_dir / "files" / "uploads"
    return [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []


def refused(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    return str(body["error"]["code"])


def no_tasks(client: TestClient) -> bool:
    return bool(client.get("/api/tasks").json()["data"]["total"] == 0)


def photos(name: str = "source_image") -> dict[str, Any]:
    return {
        name: ("grace.jpg", GRACE.read_bytes()),
        "target_image": ("astronaut.png", ASTRONAUT.read_bytes()),
    }


def test_a_legacy_webhook_that_is_not_http_is_refused_and_nothing_is_stored(
    client: TestClient, data_dir: Path
) -> None:
    for webhook in ("ftp://hooks.example.com/x", LONG_WEBHOOK):
        response = client.post("/api/single-image-swap", files=photos(), data={"webhook": webhook})
        assert refused(response) == "bad_request"
        video = {"source_image": ("grace.jpg", GRACE.read_bytes()), "target_video": ("v.mp4", b"\0" * 64)}
        response = client.post("/api/video-swap", files=video, data={"webhook": webhook})
        assert refused(response) == "bad_request"
        sources = [("source_images", ("grace.jpg", GRACE.read_bytes()))]
        target = [("target_image", ("astronaut.png", ASTRONAUT.read_bytes()))]
        response = client.post(
            "/api/multi-image-swap", files=sources + target, data={"mapping": "0=0", "webhook": webhook}
        )
        assert refused(response) == "bad_request"
    assert stored_files(data_dir) == []
    assert no_tasks(client)


def test_a_long_webhook_is_refused_on_every_json_route(client: TestClient) -> None:
    swap = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg"}
    task = {"workflow": "face_swap", "params": {"input_data": {"wf_json": swap}}, "webhook": LONG_WEBHOOK}
    assert refused(client.post("/api/tasks/create", json=task)) == "bad_request"
    assert refused(client.post("/api/face-swap/create-task", json={**swap, "webhook": LONG_WEBHOOK})) == (
        "bad_request"
    )
    assert refused(client.post("/api/face-swap/process", json={**swap, "webhook": LONG_WEBHOOK})) == (
        "bad_request"
    )
    batch = {"items": [swap, {**swap, "webhook": LONG_WEBHOOK}]}
    assert refused(client.post("/api/face-swap/batch", json=batch)) == "bad_request"
    assert no_tasks(client)


def test_seventeen_sources_are_refused_before_any_is_stored(client: TestClient, data_dir: Path) -> None:
    sources = [("source_images", (f"s{i}.jpg", GRACE.read_bytes())) for i in range(17)]
    target = [("target_image", ("astronaut.png", ASTRONAUT.read_bytes()))]
    response = client.post("/api/multi-image-swap", files=sources + target, data={"mapping": "0=0"})
    assert refused(response) == "bad_option"
    assert "16" in response.json()["error"]["message"]
    assert stored_files(data_dir) == []
    assert no_tasks(client)


@pytest.mark.parametrize("mapping", ['{"0": 1e400}', '{"0": -1e400}', '{"1e400": 0}', "0=x", "[1, 2]"])
def test_a_bad_mapping_is_refused_and_nothing_is_stored(
    client: TestClient, data_dir: Path, mapping: str
) -> None:
    sources = [("source_images", ("grace.jpg", GRACE.read_bytes()))]
    target = [("target_image", ("astronaut.png", ASTRONAUT.read_bytes()))]
    response = client.post("/api/multi-image-swap", files=sources + target, data={"mapping": mapping})
    assert refused(response) == "bad_option"
    assert stored_files(data_dir) == []


def test_a_mapping_with_an_infinite_number_is_refused_in_the_task_format(client: TestClient) -> None:
    wf = {"source_urls": ["https://example.com/a.jpg"], "target_url": "https://example.com/b.jpg"}
    body = json.dumps({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})
    body = body.replace('"target_url"', '"mapping": {"0": 1e400}, "target_url"')
    response = client.post("/api/tasks/create", content=body, headers={"Content-Type": "application/json"})
    assert refused(response) == "bad_request"


def test_a_refusal_after_the_uploads_deletes_them(client: TestClient, data_dir: Path) -> None:
    """The target URL is refused only after the source file was stored: the source goes too."""
    response = client.post(
        "/api/single-image-swap",
        files={"source_image": ("grace.jpg", GRACE.read_bytes())},
        data={"target_url": "http://127.0.0.1/x.png"},
    )
    assert refused(response) == "url_forbidden"
    assert stored_files(data_dir) == []
    assert no_tasks(client)


FORBIDDEN_LITERALS = [
    "http://127.0.0.1/a.png",
    "http://10.1.2.3/a.png",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/a.png",
    "http://[::ffff:192.168.0.1]/a.png",
    "http://localhost:8000/a.png",
    "http://api.localhost/a.png",
    "http://LOCALHOST./a.png",
    "http://0.0.0.0/a.png",
]


@pytest.mark.parametrize("url", FORBIDDEN_LITERALS)
def test_forbidden_url_literals_are_refused_at_creation(client: TestClient, url: str) -> None:
    swap = {"source_url": "https://example.com/a.jpg", "target_url": url}
    assert refused(client.post("/api/face-swap/create-task", json=swap)) == "url_forbidden"
    fine = {**swap, "target_url": "https://example.com/b.jpg"}
    task = {"workflow": "face_swap", "params": {"input_data": {"wf_json": fine}}, "webhook": url}
    assert refused(client.post("/api/tasks/create", json=task)) == "url_forbidden"
    assert no_tasks(client)


def test_public_names_are_accepted_at_creation(client: TestClient) -> None:
    """A public address, and a name (resolved only when fetched: DNS can change), are accepted."""
    swap = {"source_url": "https://example.com/a.jpg", "target_url": "https://93.184.216.34/b.jpg"}
    response = client.post("/api/face-swap/create-task", json={**swap, "webhook": "https://example.com/hook"})
    assert response.status_code == 200, response.text


def test_an_allow_listed_address_is_accepted_at_creation(data_dir: Path) -> None:
    settings = service_settings(data_dir)  # allows 127.0.0.1
    with TestClient(create_app(settings)) as client:
        swap = {"source_url": "https://example.com/a.jpg", "target_url": "http://127.0.0.1:9/b.jpg"}
        assert client.post("/api/face-swap/create-task", json=swap).status_code == 200


@pytest.mark.parametrize(
    ("mapping", "says"),
    [
        ("0=0,2=1", "names source 2, but the task has 2 source(s)"),
        ("0=1,1=1", "several sources to the same face (1)"),
        ('{"-1": 0}', "indexes start at 0"),
        ("", "mapping"),
    ],
)
def test_a_mapping_that_fits_no_target_is_refused_at_creation(
    client: TestClient, data_dir: Path, mapping: str, says: str
) -> None:
    sources = [("source_images", (f"s{i}.jpg", GRACE.read_bytes())) for i in range(2)]
    target = [("target_image", ("astronaut.png", ASTRONAUT.read_bytes()))]
    response = client.post("/api/multi-image-swap", files=sources + target, data={"mapping": mapping})
    assert refused(response) in ("bad_option", "bad_request")
    assert says in response.json()["error"]["message"]
    assert "--map" not in response.json()["error"]["message"]  # the API's words, not the CLI's
    assert stored_files(data_dir) == []
    assert no_tasks(client)


def test_a_mapping_past_the_sources_is_refused_in_the_task_format(client: TestClient) -> None:
    wf = {
        "source_urls": ["https://example.com/a.jpg", "https://example.com/b.jpg"],
        "target_url": "https://example.com/c.jpg",
        "mapping": {"0": 0, "3": 1},
    }
    response = client.post(
        "/api/tasks/create", json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    )
    assert refused(response) == "bad_request"
    assert "names source 3, but the task has 2 source(s)" in response.json()["error"]["message"]
    assert no_tasks(client)
