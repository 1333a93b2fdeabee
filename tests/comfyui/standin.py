"""A stand-in ComfyUI server, and a helper that serves an ASGI app on a free loopback port in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Form, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

KNOWN = {"LoadImage", "SaveImage", "KSampler", "Fail"}
OUTPUT_CLASSES = {"SaveImage"}
"""Classes ComfyUI marks ``output_node``: it runs only the nodes feeding one of them."""


def links(node: dict[str, Any]) -> list[str]:
    """The ids of the nodes ``node``'s inputs link to (``[node_id, index]``)."""
    return [str(v[0]) for v in node.get("inputs", {}).values() if isinstance(v, list) and len(v) == 2]


def upstream(graph: dict[str, Any], node_id: str) -> set[str]:
    """``node_id`` and every node it depends on."""
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        current = todo.pop()
        if current not in seen and current in graph:
            seen.add(current)
            todo.extend(links(graph[current]))
    return seen


@dataclass
class StandIn:
    """Stands in for ComfyUI's documented HTTP routes and ``/ws`` messages, as its server sends them.

    Routes: ``POST /upload/image`` (multipart ``image`` and optional ``subfolder`` -> ``{name, subfolder,
    type}``), ``POST /prompt``, ``GET /history/{id}``, ``GET /view?filename&subfolder&type``, ``GET /queue``,
    ``POST /queue`` (``{"delete": [...]}`` for pending prompts, ``{"clear": true}``), ``POST /history``
    (``{"delete": [...]}``, ``{"clear": true}``), ``POST /interrupt`` (a running prompt: the one named by
    ``prompt_id``, which is ignored when not running, or any without it), ``GET /system_stats``,
    ``GET /object_info/{class}`` (``output_node`` true for ``SaveImage``).

    Validation (``POST /prompt``), as ComfyUI's: a node of unknown class refuses the whole prompt (400,
    ``error.details`` = ``Node ID '#<id>'``, empty ``node_errors``); a ``LoadImage`` naming no uploaded file
    fails its node (``custom_validation_failed``), which fails every output depending on it: with no valid
    output left the answer is 400 ``prompt_outputs_failed_validation``, else 200 with the prompt id and the
    ``node_errors``, and only the valid outputs run.

    Execution runs only the nodes feeding a valid output node, in graph order. Messages to
    ``/ws?clientId=`` of the prompt's client: ``execution_start``, ``execution_cached``, ``executing`` per
    node with a ``progress_state`` (every node's state, which clients may ignore), ``progress``
    (``value``/``max``) for a node with ``steps``, ``executed`` with the node's output; at the end, in
    ComfyUI's order, ``execution_success`` (or ``execution_error`` for a ``Fail`` node, or
    ``execution_interrupted`` with the node and its type), then (history stored) a ``status``
    broadcast, then ``executing`` with node null. The history entry's ``status.messages`` keep
    ``execution_start``, ``execution_cached`` and that end message, as ComfyUI 0.8 records them.
    ``LoadImage`` reads an uploaded file, ``SaveImage`` writes its input image as
    ``<prefix>_00001_.png`` (type output); others pass their input through.

    Misbehaviours a test can ask for: ``hold`` (prompts stay pending), ``hold_at`` (a prompt waits before
    running that node), ``drop_socket_at`` (the client's websocket is closed before that node runs: a
    network blip, the server stays up), ``lose_end`` (the success messages are never sent),
    ``start_on_queue_read`` (a pending prompt starts right after ``GET /queue`` has answered that it is
    pending: the cancel race),
    :meth:`clear_queue` (an operator clearing the queue) and :meth:`restarted` (state lost in a restart;
    :class:`Server` refuses connections meanwhile).
    """

    step_s: float = 0.05
    hold: bool = False
    """Keep prompts pending (never start them) until released."""
    hold_at: str | None = None
    """While set, a running prompt waits before executing the node with this id."""
    drop_socket_at: str | None = None
    """Close the prompt's client's websocket before executing the node with this id (once)."""
    lose_end: bool = False
    """Never send ``execution_success`` nor, after it, ``executing`` with node null (messages lost)."""
    start_on_queue_read: bool = False
    """Once ``GET /queue`` has reported a pending prompt, start it before answering (then clear this)."""
    uploads: dict[str, bytes] = field(default_factory=dict)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    executed: dict[str, list[str]] = field(default_factory=dict)
    """prompt id -> the nodes it ran, in order"""
    valid_outputs: dict[str, set[str]] = field(default_factory=dict)
    sockets: dict[str, WebSocket] = field(default_factory=dict)
    progress_sent: int = 0

    def clear_queue(self) -> None:
        """What ``POST /queue {"clear": true}`` does: every pending prompt is dropped, without a message."""
        self.deleted.extend(self.pending)
        self.pending.clear()

    def restarted(self) -> None:
        """What a restart loses: the queue, the running prompt, the history and the websockets."""
        self.pending.clear()
        self.running.clear()
        self.history.clear()
        self.sockets.clear()

    async def send(self, client_id: str | None, kind: str, data: dict[str, Any]) -> None:
        """Sends to ``client_id``'s socket; to every socket when None (a broadcast)."""
        targets = (
            list(self.sockets.items()) if client_id is None else [(client_id, self.sockets.get(client_id))]
        )
        for name, socket in targets:
            if socket is not None:
                try:
                    await socket.send_json({"type": kind, "data": data})
                except (RuntimeError, WebSocketDisconnect):
                    self.sockets.pop(name, None)

    def validate(self, graph: dict[str, Any]) -> tuple[int, dict[str, Any], set[str]]:
        """ComfyUI's answer to a prompt: status, body (without the prompt id) and the valid outputs."""
        for node_id, node in graph.items():
            if node["class_type"] not in KNOWN:
                error = {
                    "type": "invalid_prompt",
                    "message": f"Cannot execute because node {node['class_type']} does not exist.",
                    "details": f"Node ID '#{node_id}'",
                    "extra_info": {},
                }
                return 400, {"error": error, "node_errors": {}}, set()
        bad = {
            node_id: {
                "errors": [
                    {
                        "type": "custom_validation_failed",
                        "message": "Custom validation failed for node",
                        "details": f"image - Invalid image file: {node['inputs'].get('image')}",
                        "extra_info": {"input_name": "image"},
                    }
                ],
                "dependent_outputs": [],
                "class_type": node["class_type"],
            }
            for node_id, node in graph.items()
            if node["class_type"] == "LoadImage" and node["inputs"].get("image") not in self.uploads
        }
        good = set()
        for node_id, node in graph.items():
            if node["class_type"] in OUTPUT_CLASSES:
                failing = upstream(graph, node_id) & set(bad)
                for failed in failing:
                    bad[failed]["dependent_outputs"].append(node_id)
                if not failing:
                    good.add(node_id)
        if not good:
            error = {
                "type": "prompt_outputs_failed_validation",
                "message": "Prompt outputs failed validation",
                "details": "",
                "extra_info": {},
            }
            return 400, {"error": error, "node_errors": bad}, set()
        return 200, {"node_errors": bad}, good

    async def execute(self, prompt_id: str) -> None:
        while self.hold and prompt_id in self.pending:
            await asyncio.sleep(0.02)
        if prompt_id not in self.pending:
            return  # deleted from the queue
        self.pending.remove(prompt_id)
        self.running.append(prompt_id)
        body = self.prompts[prompt_id]
        graph, client = body["prompt"], body.get("client_id", "")
        run = set().union(*(upstream(graph, out) for out in self.valid_outputs[prompt_id]))
        self.executed[prompt_id] = []
        say = {"prompt_id": prompt_id}
        started = [["execution_start", say], ["execution_cached", {**say, "nodes": []}]]
        for kind, data in started:
            await self.send(client, kind, data)
        values: dict[str, bytes] = {}
        outputs: dict[str, Any] = {}
        end: list[Any] = ["execution_success", {**say, "timestamp": 0}]
        for node_id, node in ((n, v) for n, v in graph.items() if n in run):
            if self.drop_socket_at == node_id:
                self.drop_socket_at = None
                await self.close_socket(client)
            while self.hold_at == node_id:
                await asyncio.sleep(0.02)
            if prompt_id in self.interrupted:
                end = [
                    "execution_interrupted",
                    {
                        **say,
                        "node_id": node_id,
                        "node_type": node["class_type"],
                        "executed": list(self.executed[prompt_id]),
                    },
                ]
                break
            self.executed[prompt_id].append(node_id)
            await self.send(client, "executing", {**say, "node": node_id})
            await self.send(client, "progress_state", {**say, "nodes": self.node_states(prompt_id, node_id)})
            inputs = node.get("inputs", {})
            linked = [values[v[0]] for v in inputs.values() if isinstance(v, list) and v[0] in values]
            if node["class_type"] == "Fail":
                error = {
                    **say,
                    "node_id": node_id,
                    "node_type": "Fail",
                    "exception_type": "RuntimeError",
                    "exception_message": "out of memory on the GPU",
                    "traceback": [],
                }
                end = ["execution_error", error]
                break
            for step in range(int(inputs.get("steps", 0))):
                if prompt_id in self.interrupted:
                    break
                await asyncio.sleep(self.step_s)
                await self.send(
                    client, "progress", {**say, "node": node_id, "value": step + 1, "max": inputs["steps"]}
                )
                self.progress_sent += 1
            if node["class_type"] == "LoadImage":
                values[node_id] = self.uploads[inputs["image"]]
            elif node["class_type"] == "SaveImage":
                name = f"{inputs.get('filename_prefix', 'ComfyUI')}_00001_.png"
                self.outputs[name] = linked[0]
                outputs[node_id] = {"images": [{"filename": name, "subfolder": "", "type": "output"}]}
                await self.send(client, "executed", {**say, "node": node_id, "output": outputs[node_id]})
            elif linked:
                values[node_id] = linked[0]
        success = end[0] == "execution_success"
        end[1]["timestamp"] = int(time.time() * 1000)
        told = not (success and self.lose_end)
        if told:
            await self.send(client, *end)
        if prompt_id in self.running:  # not lost in a restart meanwhile
            self.running.remove(prompt_id)
            status = {"status_str": "success" if success else "error", "completed": success}
            self.history[prompt_id] = {
                "prompt": [0, prompt_id, graph, {}, list(self.valid_outputs[prompt_id])],
                "outputs": outputs,
                "status": {**status, "messages": [*started, end]},
            }
        await self.send(None, "status", {"status": {"exec_info": {"queue_remaining": len(self.pending)}}})
        if told:
            await self.send(client, "executing", {**say, "node": None})

    def node_states(self, prompt_id: str, running: str) -> dict[str, Any]:
        """``progress_state``'s ``nodes``: those run so far finished, ``running`` running."""
        return {
            node: {
                "value": 0.0 if node == running else 1.0,
                "max": 1.0,
                "state": "running" if node == running else "finished",
                "node_id": node,
                "prompt_id": prompt_id,
            }
            for node in self.executed[prompt_id]
        }

    async def close_socket(self, client_id: str) -> None:
        """Closes ``client_id``'s websocket from the server's side (a network blip)."""
        socket = self.sockets.pop(client_id, None)
        if socket is not None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await socket.close()

    def app(self) -> FastAPI:
        app = FastAPI()
        tasks: set[asyncio.Task[None]] = set()

        @app.get("/system_stats")
        async def system_stats() -> dict[str, Any]:
            return {"system": {"comfyui_version": "stand-in"}, "devices": []}

        @app.get("/object_info/{class_type}")
        async def object_info(class_type: str) -> dict[str, Any]:
            if class_type not in KNOWN:
                return {}
            return {class_type: {"name": class_type, "output_node": class_type in OUTPUT_CLASSES}}

        @app.post("/upload/image")
        async def upload(image: UploadFile, subfolder: Annotated[str, Form()] = "") -> dict[str, str]:
            name = image.filename or "upload.png"
            self.uploads[f"{subfolder}/{name}" if subfolder else name] = await image.read()
            return {"name": name, "subfolder": subfolder, "type": "input"}

        @app.post("/prompt")
        async def prompt(request: Request) -> JSONResponse:
            body = await request.json()
            status, answer, good = self.validate(body["prompt"])
            if status != 200:
                return JSONResponse(answer, status_code=status)
            prompt_id = str(uuid.uuid4())
            self.prompts[prompt_id] = body
            self.valid_outputs[prompt_id] = good
            self.pending.append(prompt_id)
            task = asyncio.create_task(self.execute(prompt_id))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return JSONResponse({"prompt_id": prompt_id, "number": len(self.prompts), **answer})

        @app.get("/history/{prompt_id}")
        async def history(prompt_id: str) -> dict[str, Any]:
            return {prompt_id: self.history[prompt_id]} if prompt_id in self.history else {}

        @app.get("/view")
        async def view(filename: str, subfolder: str = "", type: str = "output") -> Response:
            if type != "output" or filename not in self.outputs:
                return Response(status_code=404)
            return Response(self.outputs[filename], media_type="image/png")

        @app.get("/queue")
        async def queue() -> dict[str, Any]:
            answer = {
                "queue_running": [[0, p, {}, {}, []] for p in self.running],
                "queue_pending": [[1, p, {}, {}, []] for p in self.pending],
            }
            if self.start_on_queue_read and self.pending:
                self.start_on_queue_read, self.hold = False, False
                while self.pending:
                    await asyncio.sleep(0.01)
            return answer

        @app.post("/queue")
        async def delete(request: Request) -> dict[str, Any]:
            body = await request.json()
            if body.get("clear"):
                self.clear_queue()
            for prompt_id in body.get("delete", []):
                if prompt_id in self.pending:
                    self.pending.remove(prompt_id)
                    self.deleted.append(prompt_id)
            return {}

        @app.post("/interrupt")
        async def interrupt(request: Request) -> dict[str, Any]:
            body = await request.json() if await request.body() else {}
            named = body.get("prompt_id")
            self.interrupted.extend(p for p in self.running if not named or p == named)
            return {}

        @app.post("/history")
        async def forget(request: Request) -> dict[str, Any]:
            body = await request.json()
            if body.get("clear"):
                self.history.clear()
            for prompt_id in body.get("delete", []):
                self.history.pop(prompt_id, None)
            return {}

        @app.websocket("/ws")
        async def ws(websocket: WebSocket, clientId: str) -> None:  # noqa: N803 (ComfyUI's name)
            await websocket.accept()
            self.sockets[clientId] = websocket
            await websocket.send_json(
                {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": clientId}}
            )
            try:
                while True:
                    await websocket.receive_text()
            except WebSocketDisconnect:
                self.sockets.pop(clientId, None)

        return app


class Server:
    """Serves an ASGI app on a loopback port in a thread; can go down for a while and come back on the same
    port (a restart: connections are refused meanwhile)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = 0
        self._start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the stand-in server did not start"
            assert self.thread.is_alive(), "the stand-in server failed to start"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def restart(self, down_s: float, on_down: Callable[[], None] = lambda: None) -> threading.Thread:
        """Stops the server, calls ``on_down``, and serves again after ``down_s``; runs in a thread of its
        own, which it returns."""

        def go() -> None:
            self.stop()
            on_down()
            time.sleep(down_s)
            self._start()

        thread = threading.Thread(target=go, daemon=True)
        thread.start()
        return thread


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serves ``app`` on a free loopback port in a thread; yields its base URL."""
    server = Server(app)
    try:
        yield server.url
    finally:
        server.stop()
