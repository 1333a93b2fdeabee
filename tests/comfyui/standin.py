"""A stand-in ComfyUI server, and a helper that serves an ASGI app on a free loopback port in a thread."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response


@dataclass
class StandIn:
    """Stands in for ComfyUI's documented HTTP routes and ``/ws`` messages, as its server sends them.

    Routes: ``POST /upload/image`` (multipart ``image`` -> ``{name, subfolder, type}``), ``POST /prompt``
    (``{prompt, client_id}`` -> ``{prompt_id, number, node_errors}``; 400 with ``error``/``node_errors`` for
    a node of unknown class), ``GET /history/{id}``, ``GET /view?filename&subfolder&type``, ``GET /queue``,
    ``POST /queue`` (``{"delete": [...]}``), ``POST /interrupt``, ``GET /system_stats``.
    Messages to ``/ws?clientId=`` of the prompt's client: ``execution_start``, ``execution_cached``,
    ``executing`` per node, ``progress`` (``value``/``max``) for a node with ``steps``, ``executed`` with the
    node's output, then ``executing`` with node null and ``execution_success``; or ``execution_error``
    (a ``Fail`` node) or ``execution_interrupted``. Execution: ``LoadImage`` reads an uploaded file,
    ``SaveImage`` writes its input image as ``<prefix>_00001_.png`` (type output); others pass input through.
    """

    step_s: float = 0.05
    hold: bool = False
    """Keep prompts pending (never start them) until released."""
    uploads: dict[str, bytes] = field(default_factory=dict)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    sockets: dict[str, WebSocket] = field(default_factory=dict)
    progress_sent: int = 0

    async def send(self, client_id: str, kind: str, data: dict[str, Any]) -> None:
        socket = self.sockets.get(client_id)
        if socket is not None:
            try:
                await socket.send_json({"type": kind, "data": data})
            except (RuntimeError, WebSocketDisconnect):
                self.sockets.pop(client_id, None)

    async def execute(self, prompt_id: str) -> None:
        while self.hold and prompt_id in self.pending:
            await asyncio.sleep(0.02)
        if prompt_id not in self.pending:
            return  # deleted from the queue
        self.pending.remove(prompt_id)
        self.running.append(prompt_id)
        body = self.prompts[prompt_id]
        graph, client = body["prompt"], body.get("client_id", "")
        say = {"prompt_id": prompt_id}
        await self.send(client, "execution_start", say)
        await self.send(client, "execution_cached", {**say, "nodes": []})
        values: dict[str, bytes] = {}
        outputs: dict[str, Any] = {}
        status: dict[str, Any] = {"status_str": "success", "completed": True, "messages": []}
        for node_id, node in graph.items():
            if prompt_id in self.interrupted:
                await self.send(client, "execution_interrupted", {**say, "node_id": node_id})
                status = {"status_str": "error", "completed": False, "messages": []}
                break
            await self.send(client, "executing", {**say, "node": node_id})
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
                await self.send(client, "execution_error", error)
                status = {"status_str": "error", "completed": False, "messages": [["execution_error", error]]}
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
        else:
            await self.send(client, "executing", {**say, "node": None})
            await self.send(client, "execution_success", {**say, "timestamp": int(time.time() * 1000)})
        self.running.remove(prompt_id)
        self.history[prompt_id] = {
            "prompt": [0, prompt_id, graph, {}, []],
            "outputs": outputs,
            "status": status,
        }

    def app(self) -> FastAPI:
        app = FastAPI()
        tasks: set[asyncio.Task[None]] = set()

        @app.get("/system_stats")
        async def system_stats() -> dict[str, Any]:
            return {"system": {"comfyui_version": "stand-in"}, "devices": []}

        @app.post("/upload/image")
        async def upload(image: UploadFile) -> dict[str, str]:
            name = image.filename or "upload.png"
            self.uploads[name] = await image.read()
            return {"name": name, "subfolder": "", "type": "input"}

        @app.post("/prompt")
        async def prompt(request: Request) -> JSONResponse:
            body = await request.json()
            for node_id, node in body["prompt"].items():
                if node["class_type"] not in {"LoadImage", "SaveImage", "KSampler", "Fail"}:
                    errors = {
                        node_id: {
                            "errors": [{"message": "Node does not exist", "details": node["class_type"]}]
                        }
                    }
                    return JSONResponse(
                        {
                            "error": {
                                "type": "invalid_prompt",
                                "message": "Cannot execute because a node is missing",
                            },
                            "node_errors": errors,
                        },
                        status_code=400,
                    )
            prompt_id = str(uuid.uuid4())
            self.prompts[prompt_id] = body
            self.pending.append(prompt_id)
            task = asyncio.create_task(self.execute(prompt_id))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return JSONResponse({"prompt_id": prompt_id, "number": len(self.prompts), "node_errors": {}})

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
            return {
                "queue_running": [[0, p, {}, {}, []] for p in self.running],
                "queue_pending": [[1, p, {}, {}, []] for p in self.pending],
            }

        @app.post("/queue")
        async def delete(request: Request) -> dict[str, Any]:
            for prompt_id in (await request.json()).get("delete", []):
                if prompt_id in self.pending:
                    self.pending.remove(prompt_id)
                    self.deleted.append(prompt_id)
            return {}

        @app.post("/interrupt")
        async def interrupt(request: Request) -> dict[str, Any]:
            body = await request.json() if await request.body() else {}
            self.interrupted.extend((body.get("prompt_id") and [body["prompt_id"]]) or list(self.running))
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


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serves ``app`` on a free loopback port in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the stand-in server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
