"""ComfyUI workflows as tasks, end to end through the queue and a worker, against a stand-in ComfyUI."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from faceswap.config import Settings
from faceswap.errors import BadOptionError
from faceswap.service.processors import comfyui as processor
from faceswap.service.queue import open_queue
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import Task, TaskCreate
from tests.comfyui.standin import Server, StandIn, serve
from tests.service.conftest import ASTRONAUT
from tests.service.helpers import running_worker, service_settings
from tests.service.live import free_port

PHOTO_KEY = "uploads/" + "a" * 32 + ".png"
GRAPH: dict[str, Any] = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}, "_meta": {"title": "target"}},
    "2": {"class_type": "KSampler", "inputs": {"steps": 1, "seed": 0, "model": ["1", 0]}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "swap"}},
}


def comfy_task(name: str = "restore", graph: dict[str, Any] | None = None, steps: int = 6) -> TaskCreate:
    wf: dict[str, Any] = {
        "target_url": PHOTO_KEY,
        "values": {"steps": steps},
        "bindings": {"steps": {"node": "2", "field": "steps"}},
    }
    if graph is not None:
        wf["workflow"] = graph
    return TaskCreate.model_validate({"workflow": name, "params": {"input_data": {"wf_json": wf}}})


@pytest.fixture
def standin() -> Iterator[tuple[StandIn, str]]:
    comfy = StandIn(step_s=0.12)
    with serve(comfy.app()) as url:
        yield comfy, url


@pytest.fixture
def restartable() -> Iterator[tuple[StandIn, Server]]:
    """A stand-in whose server a test can take down for a while (a ComfyUI restart)."""
    comfy = StandIn(step_s=0.12)
    server = Server(comfy.app())
    try:
        yield comfy, server
    finally:
        server.stop()


def settings_for(tmp_path: Path, comfy_url: str, **service: Any) -> Settings:
    settings = service_settings(tmp_path, "sqlite://", **service)
    settings.comfyui.url = comfy_url
    settings.comfyui.timeout_s = 30
    settings.comfyui.ready_wait_s = 10
    assert settings.comfyui.workflows_dir is not None
    settings.comfyui.workflows_dir.mkdir(parents=True)
    (settings.comfyui.workflows_dir / "restore.json").write_text(json.dumps(GRAPH))
    photo = settings.data_dir / "files" / PHOTO_KEY
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(ASTRONAUT.read_bytes())
    return settings


@pytest_asyncio.fixture
async def tasks(tmp_path: Path) -> AsyncIterator[TaskClient]:
    queue = open_queue("sqlite://", name="comfy", data_dir=tmp_path)
    await queue.connect()
    try:
        yield TaskClient(queue, service_settings(tmp_path).service)
    finally:
        await queue.disconnect()


async def watch(tasks: TaskClient, task_id: str, timeout: float = 30) -> tuple[Task, list[float]]:
    """The finished task and every progress value seen while it ran."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while True:
        task = await tasks.get(task_id)
        if task.status == "PROCESSING" and (not seen or seen[-1] != task.progress):
            seen.append(task.progress)
        if task.status in ("COMPLETED", "FAILED", "CANCELLED"):
            return task, seen
        assert time.monotonic() < deadline, f"task stayed {task.status}"
        await asyncio.sleep(0.05)


async def test_a_workflow_with_an_image_input_runs_to_completion_with_progress(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    settings = settings_for(tmp_path, url)
    async with running_worker(tasks.queue, settings) as worker:
        created = await tasks.submit(comfy_task())
        done, seen = await watch(tasks, created.task_id)
        assert done.status == "COMPLETED", done.error
        stored = await worker.storage.get(done.result["file_id"]) if done.result else b""
    # the uploaded photo was bound to the node titled "target", the value to its declared field
    (prompt,) = comfy.prompts.values()
    uploaded = prompt["prompt"]["1"]["inputs"]["image"]
    assert uploaded == f"faceswap/{created.task_id}-target.png"  # recognizable, for an operator's cleanup
    assert comfy.uploads[uploaded] == ASTRONAUT.read_bytes()
    assert prompt["prompt"]["2"]["inputs"]["steps"] == 6
    assert prompt["client_id"]
    # the output came back through /history and /view and was stored
    assert done.result is not None
    assert stored == ASTRONAUT.read_bytes()
    assert done.result["content_type"] == "image/png"
    assert [o["node"] for o in done.result["outputs"]] == ["3"]
    # progress moved through the run, below 1 until it completed
    assert comfy.progress_sent == 6
    assert len([p for p in seen if 0.05 < p < 1.0]) >= 2, seen
    assert seen == sorted(seen)


async def test_an_execution_error_fails_the_task_with_its_message(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    _, url = standin
    graph = {**GRAPH, "2": {"class_type": "Fail", "inputs": {"steps": 0, "model": ["1", 0]}}}
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        created = await tasks.submit(comfy_task("inline", graph))
        done, _ = await watch(tasks, created.task_id)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "comfyui_execution_error"
    assert "out of memory" in done.error.message
    assert done.attempts == 1  # not transient: not retried


async def test_a_refused_workflow_fails_with_the_node_errors(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    _, url = standin
    graph = {**GRAPH, "2": {"class_type": "NoSuchNode", "inputs": {"steps": 0}}}
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        done, _ = await watch(tasks, (await tasks.submit(comfy_task("inline", graph))).task_id)
    assert done.error is not None
    assert done.error.code == "comfyui_execution_error"
    assert "NoSuchNode" in done.error.message
    assert "Node ID '#2'" in done.error.message  # ComfyUI's details name the node


async def test_an_unreachable_server_fails_the_task_after_its_retries(
    tmp_path: Path, tasks: TaskClient
) -> None:
    settings = settings_for(tmp_path, f"http://127.0.0.1:{free_port()}")
    settings.comfyui.ready_wait_s = 0.3
    async with running_worker(tasks.queue, settings):
        done, _ = await watch(tasks, (await tasks.submit(comfy_task())).task_id)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "comfyui_unavailable"
    assert "cannot be reached" in done.error.message
    assert done.attempts == tasks.settings.retries  # transient: retried


async def test_a_cancel_interrupts_the_running_prompt(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        created = await tasks.submit(comfy_task(steps=200))
        deadline = time.monotonic() + 20
        while comfy.progress_sent < 2:
            assert time.monotonic() < deadline, "the prompt never started"
            await asyncio.sleep(0.05)
        await tasks.cancel(created.task_id)
        done, _ = await watch(tasks, created.task_id)
    assert done.status == "CANCELLED"
    assert comfy.interrupted == list(comfy.prompts)
    assert comfy.progress_sent < 100


async def test_a_cancel_removes_a_pending_prompt_from_the_queue(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    comfy.hold = True
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        created = await tasks.submit(comfy_task())
        deadline = time.monotonic() + 20
        while not comfy.pending:
            assert time.monotonic() < deadline, "the prompt was never queued"
            await asyncio.sleep(0.05)
        await tasks.cancel(created.task_id)
        done, _ = await watch(tasks, created.task_id)
    assert done.status == "CANCELLED"
    assert comfy.deleted == list(comfy.prompts)
    assert not comfy.interrupted


async def test_a_partly_invalid_workflow_is_refused_and_taken_back(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    comfy.hold = True
    # a second branch whose LoadImage names no uploaded file: ComfyUI answers 200 with node_errors
    # and would run the first branch alone
    graph = {
        **GRAPH,
        "4": {"class_type": "LoadImage", "inputs": {"image": "missing.png"}},
        "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "other"}},
    }
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        done, _ = await watch(tasks, (await tasks.submit(comfy_task("inline", graph))).task_id)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "comfyui_execution_error"
    assert "node 4 (LoadImage)" in done.error.message
    assert "Invalid image file: missing.png" in done.error.message
    assert comfy.deleted == list(comfy.prompts)  # the valid branch does not run
    assert done.attempts == 1


async def test_a_prompt_cleared_from_the_queue_fails_the_task_soon(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    comfy, url = standin
    comfy.hold = True
    monkeypatch.setattr(processor, "QUIET_S", 0.5)
    settings = settings_for(tmp_path, url)
    settings.comfyui.timeout_s = 8
    async with running_worker(tasks.queue, settings):
        created = await tasks.submit(comfy_task())
        deadline = time.monotonic() + 20
        while not comfy.pending:
            assert time.monotonic() < deadline, "the prompt was never queued"
            await asyncio.sleep(0.05)
        comfy.clear_queue()  # an operator clears ComfyUI's queue; the websocket stays open
        started = time.monotonic()
        done, _ = await watch(tasks, created.task_id)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "comfyui_execution_error", done.error
    assert "dropped prompt" in done.error.message
    assert time.monotonic() - started < 5  # not the time limit


async def test_a_lost_end_message_still_completes_the_task_from_history(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    comfy, url = standin
    comfy.lose_end = True
    monkeypatch.setattr(processor, "QUIET_S", 0.5)
    settings = settings_for(tmp_path, url)
    settings.comfyui.timeout_s = 8
    async with running_worker(tasks.queue, settings):
        done, _ = await watch(tasks, (await tasks.submit(comfy_task())).task_id)
    assert done.status == "COMPLETED", done.error
    assert done.result is not None
    assert [o["node"] for o in done.result["outputs"]] == ["3"]


async def test_progress_counts_only_the_nodes_comfyui_runs(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    comfy.hold_at = "3"  # stop before the SaveImage: LoadImage and KSampler are done
    # node 9 feeds no output node: ComfyUI does not run it
    graph = {**GRAPH, "9": {"class_type": "KSampler", "inputs": {"steps": 0, "model": ["1", 0]}}}
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        created = await tasks.submit(comfy_task("inline", graph, steps=2))
        deadline = time.monotonic() + 20
        while comfy.executed.get(next(iter(comfy.prompts), ""), []) != ["1", "2"]:
            assert time.monotonic() < deadline, "the prompt never reached node 3"
            await asyncio.sleep(0.05)
        expected = 0.05 + 0.85 * 2 / 3  # two of the three nodes that run
        deadline = time.monotonic() + 5
        while (progress := (await tasks.get(created.task_id)).progress) < expected - 0.01:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        comfy.hold_at = None
        done, _ = await watch(tasks, created.task_id)
    assert progress == pytest.approx(expected, abs=0.01)
    assert done.status == "COMPLETED", done.error
    assert "9" not in comfy.executed[done.result["prompt_id"] if done.result else ""]


async def test_a_cancel_interrupts_a_prompt_that_started_while_it_was_being_deleted(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    comfy.hold = True
    comfy.start_on_queue_read = True  # pending when the queue is read, running by the delete
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        created = await tasks.submit(comfy_task(steps=200))
        deadline = time.monotonic() + 20
        while not comfy.pending:
            assert time.monotonic() < deadline, "the prompt was never queued"
            await asyncio.sleep(0.05)
        await tasks.cancel(created.task_id)
        done, _ = await watch(tasks, created.task_id)
    assert done.status == "CANCELLED"
    assert comfy.deleted == []
    assert comfy.interrupted == list(comfy.prompts)


async def test_a_task_picked_up_during_a_comfyui_restart_waits_for_it(
    tmp_path: Path, restartable: tuple[StandIn, Server], tasks: TaskClient
) -> None:
    comfy, server = restartable
    async with running_worker(tasks.queue, settings_for(tmp_path, server.url)):
        back = server.restart(3.0, comfy.restarted)
        await asyncio.sleep(0.3)  # down: connections are refused
        done, _ = await watch(tasks, (await tasks.submit(comfy_task())).task_id)
        await asyncio.to_thread(back.join)
    assert done.status == "COMPLETED", done.error
    assert done.attempts == 1


async def test_a_task_running_during_a_comfyui_restart_runs_again_once_it_is_back(
    tmp_path: Path, restartable: tuple[StandIn, Server], tasks: TaskClient
) -> None:
    comfy, server = restartable
    async with running_worker(tasks.queue, settings_for(tmp_path, server.url)):
        created = await tasks.submit(comfy_task(steps=20))
        deadline = time.monotonic() + 20
        while comfy.progress_sent < 2:
            assert time.monotonic() < deadline, "the prompt never started"
            await asyncio.sleep(0.05)
        back = server.restart(2.0, comfy.restarted)
        done, _ = await watch(tasks, created.task_id, timeout=60)
        await asyncio.to_thread(back.join)
    assert done.status == "COMPLETED", done.error
    assert done.attempts == 2
    assert len(comfy.prompts) == 2  # the lost prompt, then the one of the second try


async def test_a_prompt_interrupted_while_the_websocket_was_down_fails_naming_the_interruption(
    tmp_path: Path, standin: tuple[StandIn, str], tasks: TaskClient
) -> None:
    comfy, url = standin
    comfy.drop_socket_at = comfy.hold_at = "2"  # the websocket drops; ComfyUI itself stays up
    async with running_worker(tasks.queue, settings_for(tmp_path, url)):
        created = await tasks.submit(comfy_task())
        deadline = time.monotonic() + 20
        while comfy.drop_socket_at is not None or comfy.sockets:
            assert time.monotonic() < deadline, "the websocket was never dropped"
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=url) as client:  # someone interrupts it in ComfyUI
            assert (await client.post("/interrupt", json={})).status_code == 200
        comfy.hold_at = None
        done, _ = await watch(tasks, created.task_id)
    assert done.status == "FAILED"
    assert done.error is not None
    assert done.error.code == "comfyui_execution_error"
    # read from /history, where ComfyUI keeps the execution_interrupted message
    assert "interrupted the workflow at node 2 (KSampler)" in done.error.message
    assert done.attempts == 1


def test_unknown_workflows_are_refused_at_creation_unless_comfyui_can_run_them(tmp_path: Path) -> None:
    from faceswap.service.tasks.comfyui import check_workflow

    settings = service_settings(tmp_path)
    with pytest.raises(BadOptionError, match="no ComfyUI server"):
        check_workflow(comfy_task("restore"), settings)
    settings = settings_for(tmp_path, "http://comfy.invalid")
    check_workflow(comfy_task("restore"), settings)  # in the workflows directory
    check_workflow(comfy_task("anything", GRAPH), settings)  # graph sent with the task
    with pytest.raises(BadOptionError, match="nor a ComfyUI workflow file"):
        check_workflow(comfy_task("typo"), settings)
    with pytest.raises(BadOptionError, match="Save \\(API\\)"):
        check_workflow(comfy_task("ui_format", {"nodes": [], "links": []}), settings)
