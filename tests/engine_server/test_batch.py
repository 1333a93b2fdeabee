"""``POST /api/face-swap/batch``: each item reported on its own, at most ``concurrency`` swaps at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceswap.service.api.app import create_app
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import service_settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path), workers=1)) as client:
        yield client


def upload(client: TestClient, path: Path) -> str:
    return str(
        client.post("/api/upload", files={"file": (path.name, path.read_bytes())}).json()["data"]["file_id"]
    )


def test_items_are_reported_one_by_one_and_bad_ones_do_not_stop_the_rest(client: TestClient) -> None:
    source, target = upload(client, GRACE), upload(client, ASTRONAUT)
    items = [
        {"source_url": source, "target_url": target},
        {"source_url": "f" * 32, "target_url": target},  # no such upload
        {"source_url": source, "target_url": target, "model": "classic"},
    ]
    answer = client.post("/api/face-swap/batch", json={"items": items, "concurrency": 2})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert (data["total"], data["created"], data["failed"]) == (3, 2, 1)
    good, bad, other = data["items"]
    assert [good["index"], bad["index"], other["index"]] == [0, 1, 2]
    assert good["success"]
    assert good["status"] == "PENDING"
    assert bad == {
        "index": 1,
        "success": False,
        "error": {"code": "not_found", "message": bad["error"]["message"]},
    }
    assert client.get(f"/api/tasks/{other['task_id']}").status_code == 200


def test_waiting_with_a_concurrency_of_one_runs_the_swaps_one_after_another(client: TestClient) -> None:
    source, target = upload(client, GRACE), upload(client, ASTRONAUT)
    items = [{"source_url": source, "target_url": target}] * 2
    answer = client.post(
        "/api/face-swap/batch", json={"items": items, "concurrency": 1, "wait": True, "timeout": 60}
    )
    data = answer.json()["data"]
    assert [i["status"] for i in data["items"]] == ["COMPLETED", "COMPLETED"], data
    assert all(i["result_url"].startswith("http://testserver/api/download/") for i in data["items"])
    first, second = (client.get(f"/api/tasks/{i['task_id']}").json()["data"] for i in data["items"])
    # the second task was created only once the first had finished
    assert datetime.fromisoformat(second["created_at"]) >= datetime.fromisoformat(first["updated_at"])


def test_a_batch_is_bounded(client: TestClient) -> None:
    item = {"source_url": "a", "target_url": "b"}
    assert client.post("/api/face-swap/batch", json={"items": []}).status_code == 422
    assert client.post("/api/face-swap/batch", json={"items": [item] * 101}).status_code == 422
    assert client.post("/api/face-swap/batch", json={"items": [item], "concurrency": 99}).status_code == 422
