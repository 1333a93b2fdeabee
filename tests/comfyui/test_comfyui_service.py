"""The API's side of ComfyUI: ``/api/health`` reports whether ComfyUI answers, and ComfyUI workflow tasks
are in the ``comm`` environment."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from faceswap.service.api.app import create_app
from faceswap.service.tasks.model import TaskCreate
from tests.comfyui.standin import StandIn, serve
from tests.comfyui.test_comfyui_tasks import GRAPH, comfy_task
from tests.service.conftest import ASTRONAUT
from tests.service.helpers import service_settings
from tests.service.live import free_port


def test_health_reports_whether_comfyui_answers(tmp_path: Path) -> None:
    settings = service_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        assert "comfyui" not in client.get("/api/health").json()  # not configured
    with serve(StandIn().app()) as url:
        settings.comfyui.url = url
        with TestClient(create_app(settings)) as client:
            up = client.get("/api/health")
    assert up.json()["comfyui"] == {"ok": True, "url": url, "version": "stand-in"}
    settings.comfyui.url = f"http://127.0.0.1:{free_port()}"
    with TestClient(create_app(settings)) as client:
        down = client.get("/api/health")
    assert down.json()["comfyui"]["ok"] is False
    assert "cannot be reached" in down.json()["comfyui"]["error"]
    assert down.status_code == up.status_code  # shown, not counted in the API's readiness


def test_comfyui_workflow_tasks_are_in_the_comm_environment(tmp_path: Path) -> None:
    assert comfy_task("restore").environment == "comm"
    swap = {"target_url": "a.png", "source_url": "b.png"}
    face_swap = TaskCreate.model_validate(
        {"workflow": "face_swap", "params": {"input_data": {"wf_json": swap}}}
    )
    assert face_swap.environment == "face_swap"
    settings = service_settings(tmp_path)
    settings.comfyui.url = "http://comfy.invalid"
    png = ASTRONAUT.read_bytes()
    with TestClient(create_app(settings)) as client:
        wf = {"target_url": "data:image/png;base64," + base64.b64encode(png).decode(), "workflow": GRAPH}
        body = {"workflow": "inline", "params": {"input_data": {"wf_json": wf}}}
        created = client.post("/api/tasks/create", json=body)
        assert created.status_code == 200, created.text
        task = client.get(f"/api/tasks/{created.json()['data']['taskId']}")
    assert task.json()["data"]["environment"] == "comm"
