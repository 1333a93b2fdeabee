"""Face order and face filters as task parameters: a worker swaps only the chosen faces of a group photo
and numbers them the same way in ``face_detect``; bad values and a missing fairface are refused at
creation; the routes and ``/api/options`` carry them (stand-in models; fairface calls the outer two faces
of the group female and the middle one male)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import pytest_asyncio
from fastapi.testclient import TestClient

from faceswap.config import EngineSettings
from faceswap.service.api.app import create_app
from faceswap.service.queue import open_queue
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from faceswap.testing.group_photo import group_faces, group_photo, install_group_standins
from tests.service.conftest import ASTRONAUT, FACES
from tests.service.helpers import running_worker, service_settings

GROUP = group_photo(FACES)


def png_url(image: np.ndarray) -> str:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode()


def task(workflow: str = "face_swap", **options: Any) -> TaskCreate:
    wf = {"target_url": png_url(GROUP), "model": "inswapper_128", **options}
    if workflow == "face_swap":
        wf["source_url"] = "data:image/png;base64," + base64.b64encode(ASTRONAUT.read_bytes()).decode()
    return TaskCreate.model_validate({"workflow": workflow, "params": {"input_data": {"wf_json": wf}}})


def swapped(image: np.ndarray) -> list[bool]:
    changed = []
    for face in group_faces():
        x1, y1, x2, y2 = (int(v) for v in face.box)
        changed.append(
            bool(np.abs(image[y1:y2, x1:x2].astype(int) - GROUP[y1:y2, x1:x2].astype(int)).mean() > 10)
        )
    return changed


@pytest_asyncio.fixture
async def worker_client(tmp_path: Path) -> AsyncIterator[tuple[TaskClient, Any]]:
    settings = service_settings(tmp_path)
    settings = settings.model_copy(update={"engine": EngineSettings(engine="classic", providers=["cpu"])})
    install_group_standins(tmp_path / "models", GROUP, "constant")
    queue = open_queue("sqlite://", name="selection", data_dir=tmp_path)
    await queue.connect()
    try:
        async with running_worker(queue, settings) as worker:
            yield TaskClient(queue, settings.service), worker
    finally:
        await queue.disconnect()


async def run(client: TaskClient, worker: Any, create: TaskCreate) -> tuple[Any, np.ndarray | None]:
    created = await client.submit(create)
    done = await client.wait(created.task_id, timeout=60)
    if done.status != "COMPLETED" or done.result.get("kind") != "image":
        return done, None
    data = await worker.storage.get(done.result["file_id"])
    return done, cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


async def test_a_task_swaps_only_the_faces_its_options_choose(worker_client: tuple[TaskClient, Any]) -> None:
    client, worker = worker_client
    done, image = await run(client, worker, task(face_mode="many", face_gender="female"))
    assert done.status == "COMPLETED", done.error
    assert image is not None
    assert swapped(image) == [True, False, True]
    assert "fairface" in done.result["models"]
    done, image = await run(client, worker, task(face_order="worst-best"))  # face_mode one: scores .9 .7 .8
    assert image is not None
    assert swapped(image) == [False, True, False]
    done, image = await run(client, worker, task(mapping={0: 0}, face_order="right-left"))
    assert image is not None
    assert swapped(image) == [False, False, True]


async def test_a_filter_that_keeps_no_face_fails_the_task_no_matching_face(
    worker_client: tuple[TaskClient, Any],
) -> None:
    client, worker = worker_client
    done, _ = await run(client, worker, task(face_mode="many", face_age=[50, 70]))
    assert done.status == "FAILED"
    assert done.error.code == "no_matching_face"
    assert "age filter (50-70)" in done.error.message


async def test_face_detect_numbers_the_faces_as_the_mapping_will(
    worker_client: tuple[TaskClient, Any],
) -> None:
    client, worker = worker_client
    done, _ = await run(client, worker, task("face_detect", face_order="right-left", face_gender="female"))
    assert done.status == "COMPLETED", done.error
    faces = done.result["faces"]
    assert [face["index"] for face in faces] == [0, 1]
    right, left = group_faces()[2], group_faces()[0]
    assert abs(faces[0]["box"][0] - right.box[0]) < 2  # face 0: the rightmost woman
    assert abs(faces[1]["box"][0] - left.box[0]) < 2
    assert faces[0]["traits"] == {"gender": "female", "age": [20, 29], "race": "white"}
    done, _ = await run(client, worker, task("face_detect"))
    assert [round(face["box"][0]) for face in done.result["faces"]] == sorted(
        round(f.box[0]) for f in group_faces()
    )
    assert "traits" not in done.result["faces"][0]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        yield client


def create(client: TestClient, workflow: str = "face_swap", **options: Any) -> Any:
    wf = {"source_url": "https://example.com/a.jpg", "target_url": "https://example.com/b.jpg", **options}
    return client.post(
        "/api/tasks/create", json={"workflow": workflow, "params": {"input_data": {"wf_json": wf}}}
    )


@pytest.mark.parametrize(
    "options",
    [
        {"face_order": "outside-in"},
        {"face_gender": "other"},
        {"face_race": "martian"},
        {"face_age": [30, 20]},
        {"face_age": [30, 30]},
        {"face_age": [20]},
        {"face_age": [0, 101]},
    ],
)
def test_bad_selection_options_are_refused_at_creation(api: TestClient, options: dict[str, Any]) -> None:
    answer = create(api, **options)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "bad_request"
    assert api.get("/api/tasks").json()["data"]["total"] == 0


def test_a_filter_needs_fairface_installed_at_creation(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()  # this API can tell what is installed
    with TestClient(create_app(service_settings(tmp_path))) as client:
        for workflow in ("face_swap", "face_detect"):
            answer = create(client, workflow, face_gender="male")
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "model_missing"
            assert "fairface" in answer.json()["error"]["message"]
        assert create(client, face_order="right-left").status_code == 200  # an order needs no model


def test_the_options_list_the_orders_and_filters(api: TestClient) -> None:
    data = api.get("/api/options").json()["data"]
    assert data["face_order"][:2] == ["left-right", "right-left"]
    assert len(data["face_order"]) == 8
    assert data["face_gender"] == ["female", "male"]
    assert data["face_race"] == ["white", "black", "latino", "asian", "indian", "arabic"]
    assert data["face_age"]["max"] == 100
    assert data["face_age"]["buckets"][3] == [20, 29]
    assert data["defaults"]["face_order"] is None


def test_the_job_routes_take_the_options_as_form_fields(api: TestClient) -> None:
    files = {
        "source_image": ("a.png", ASTRONAUT.read_bytes()),
        "target_image": ("b.png", ASTRONAUT.read_bytes()),
    }
    fields = {"face_order": "right-left", "face_gender": "female", "face_age": "20-30"}
    answer = api.post("/api/single-image-swap", files=files, data=fields)
    assert answer.status_code == 200, answer.text
    wf = api.get(f"/api/tasks/{answer.json()['data']['job_id']}").json()["data"]["params"]["input_data"][
        "wf_json"
    ]
    assert (wf["face_order"], wf["face_gender"], wf["face_age"]) == ("right-left", "female", [20, 30])
    refused = api.post("/api/single-image-swap", files=files, data={"face_age": "30-20"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "bad_option"
    body = {
        "source_url": "https://example.com/a.jpg",
        "target_url": "https://example.com/b.jpg",
        "face_race": "asian",
    }
    created = api.post("/api/face-swap/create-task", json=body)
    assert created.status_code == 200, created.text
    task_id = created.json()["task_id"]
    assert (
        api.get(f"/api/tasks/{task_id}").json()["data"]["params"]["input_data"]["wf_json"]["face_race"]
        == "asian"
    )
