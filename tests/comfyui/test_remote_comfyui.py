"""A ComfyUI task with extra named inputs, run by a remote worker (over HTTP) and by a queue worker, end
to end: both read every input (an upload, an allow-listed http URL, a data: URL) and give the same result."""

from __future__ import annotations

import base64
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from PIL import Image

from tests.comfyui.standin import StandIn, serve
from tests.engine_server.servers import start
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import FACESWAP, Live, service_env, wait_status

TOKEN = "remote-comfyui-test-token"
DONE = {"COMPLETED", "FAILED", "CANCELLED"}
NAMES = ("target", "source", "mask", "style", "inline")


def png(color: tuple[int, int, int], size: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


MASK, STYLE, INLINE = png((255, 255, 255)), png((200, 30, 30), 40), png((10, 90, 200), 32)
# one LoadImage per input, found by its title, each saved by a SaveImage of its own
GRAPH: dict[str, Any] = {}
for n, name in enumerate(NAMES):
    GRAPH[str(2 * n + 1)] = {
        "class_type": "LoadImage",
        "inputs": {"image": "placeholder.png"},
        "_meta": {"title": name},
    }
    GRAPH[str(2 * n + 2)] = {
        "class_type": "SaveImage",
        "inputs": {"images": [str(2 * n + 1), 0], "filename_prefix": name},
    }


@pytest.fixture
def comfy() -> Iterator[tuple[StandIn, str]]:
    standin = StandIn(step_s=0.01)
    with serve(standin.app()) as url:
        yield standin, url


@pytest.fixture
def style_url() -> Iterator[str]:
    """An input on a loopback host: admitted only by the allow-list (FACESWAP_FETCH__ALLOW_PRIVATE)."""
    app = FastAPI()

    @app.get("/style.png")
    async def style() -> Response:
        return Response(STYLE, media_type="image/png")

    with serve(app) as url:
        yield f"{url}/style.png"


@pytest.fixture
def api(tmp_path: Path, comfy: tuple[StandIn, str]) -> Iterator[Live]:
    """An API-only server with worker routes and a ComfyUI server configured."""
    data_dir = tmp_path / "api"
    data_dir.mkdir()
    env = {
        **service_env(data_dir, worker_tokens=TOKEN, heartbeat_s="2", sweep_interval_s="1"),
        "COMFYUI_URL": comfy[1],
    }
    process = start(["-v", "serve", "--workers", "0"], env, data_dir / "server.log", "/api/health")
    live = Live(url=process.url, env=env, log=process.log, process=process.process)
    try:
        yield live
    finally:
        live.stop()


def start_remote(live: Live, data_dir: Path) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True)
    env = {**service_env(data_dir), "COMFYUI_URL": live.env["COMFYUI_URL"]}
    with (data_dir / "worker.log").open("ab") as log:
        worker = subprocess.Popen(
            [str(FACESWAP), "-v", "worker", "--api", live.url, "--token", TOKEN, "--name", "comfy"],
            env=env,
            stdout=log,
            stderr=log,
        )
    live.workers.append(worker)
    return worker


def upload(client: httpx.Client, name: str, data: bytes) -> str:
    answer = client.post("/api/upload", files={"file": (name, data)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["file_id"])


def run_task(client: httpx.Client, wf: dict[str, Any]) -> dict[str, Any]:
    created = client.post(
        "/api/tasks/create",
        json={"workflow": "five_inputs", "params": {"input_data": {"wf_json": wf}}},
    )
    assert created.status_code == 200, created.text
    task = wait_status(client, created.json()["data"]["taskId"], DONE, timeout=120)
    assert task["status"] == "COMPLETED", task["error"]
    return task


def outputs(client: httpx.Client, task: dict[str, Any]) -> dict[str, bytes]:
    """The task's stored outputs by the node that saved them, downloaded through the API."""
    found = {}
    for output in task["result"]["outputs"]:
        download = client.get(output["output_url"])
        assert download.status_code == 200
        found[output["node"]] = download.content
    return found


def prompt_of(comfy: StandIn, task_id: str) -> dict[str, Any]:
    """The graph ComfyUI was asked to run for ``task_id``, with the task id taken out of upload names."""
    (graph,) = [
        p["prompt"]
        for p in comfy.prompts.values()
        if p["prompt"]["1"]["inputs"]["image"].startswith(f"faceswap/{task_id}-")
    ]
    for node in graph.values():
        if node["class_type"] == "LoadImage":
            node["inputs"]["image"] = node["inputs"]["image"].removeprefix(f"faceswap/{task_id}-")
    return dict(graph)


def test_a_remote_worker_reads_every_named_input_like_a_queue_worker(
    api: Live, tmp_path: Path, comfy: tuple[StandIn, str], style_url: str
) -> None:
    standin, _ = comfy
    expected = {
        "target": ASTRONAUT.read_bytes(),
        "source": GRACE.read_bytes(),
        "mask": MASK,
        "style": STYLE,
        "inline": INLINE,
    }
    remote = start_remote(api, tmp_path / "remote")
    with api.client() as client:
        wf = {
            "target_url": upload(client, "target.png", expected["target"]),
            "source_url": upload(client, "source.jpg", expected["source"]),
            "inputs": {
                "mask": upload(client, "mask.png", MASK),
                "style": style_url,
                "inline": "data:image/png;base64," + base64.b64encode(INLINE).decode(),
            },
            "workflow": GRAPH,
        }
        by_remote = run_task(client, wf)
        remote.terminate()
        assert remote.wait(30) == 0
        api.start_worker()  # the same task again, run by a queue worker
        by_queue = run_task(client, wf)
        remote_outputs, queue_outputs = outputs(client, by_remote), outputs(client, by_queue)

    remote_log = (tmp_path / "remote" / "worker.log").read_text()
    assert f"task {by_remote['taskId']}: completed" in remote_log
    assert by_queue["taskId"] not in remote_log
    # every input reached ComfyUI, bound to its node, with the bytes the task named
    for task in (by_remote, by_queue):
        for name, data in expected.items():
            prefix = f"faceswap/{task['taskId']}-{name}."
            uploaded = [v for k, v in standin.uploads.items() if k.startswith(prefix)]
            assert uploaded == [data], (task["taskId"], name)
    # the same graph, and the same stored results, whichever worker ran the task
    assert prompt_of(standin, by_remote["taskId"]) == prompt_of(standin, by_queue["taskId"])
    assert remote_outputs == queue_outputs
    assert {remote_outputs[str(2 * n + 2)] for n in range(len(NAMES))} == set(expected.values())
    assert by_remote["result"]["content_type"] == by_queue["result"]["content_type"] == "image/png"
