"""``ComfyClient``: ComfyUI's HTTP routes and its ``/ws`` progress messages.

Routes used (ComfyUI's server): ``POST /upload/image``, ``POST /prompt``, ``GET /history/{id}``,
``GET /view``, ``GET /queue``, ``POST /queue`` (``{"delete": [...]}``), ``POST /interrupt`` and
``GET /system_stats`` and ``GET /object_info/{class}``; messages arrive as JSON text on ``/ws?clientId=<id>`` (binary previews are skipped).

``COMFYUI_URL`` is operator configuration, so these requests do not go through the SSRF guard. A
refused connection, a network error, a timeout or a 5xx is ``comfyui_unavailable`` (transient, retried);
a workflow ComfyUI refuses (400 on ``/prompt``) is ``comfyui_execution_error``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from faceswap.comfyui.graph import Graph, OutputFile
from faceswap.errors import ComfyUIExecutionError, ComfyUIUnavailableError
from faceswap.net.fetch import redact

logger = logging.getLogger(__name__)

Message = dict[str, Any]


class ComfyClient:
    """One ComfyUI server at ``base_url``; use as ``async with ComfyClient(url) as comfy``."""

    def __init__(self, base_url: str, *, timeout_s: float = 60.0, connect_timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = uuid.uuid4().hex
        self.shown = redact(self.base_url)
        self.connect_timeout_s = connect_timeout_s
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            trust_env=False,
        )

    async def __aenter__(self) -> ComfyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ComfyUIUnavailableError(
                f"ComfyUI at {self.shown} cannot be reached ({type(exc).__name__}: {exc})"
            ) from exc
        if response.status_code >= 500:
            raise ComfyUIUnavailableError(f"ComfyUI answered {response.status_code} to {method} {path}")
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._call(method, path, **kwargs)
        if response.status_code >= 400:
            raise ComfyUIExecutionError(f"ComfyUI answered {response.status_code} to {method} {path}")
        try:
            return response.json()
        except ValueError as exc:
            raise ComfyUIUnavailableError(f"ComfyUI sent no JSON for {method} {path}") from exc

    async def system_stats(self) -> dict[str, Any]:
        """ComfyUI's ``/system_stats`` (version, devices): answers once the server is up."""
        return dict(await self._json("GET", "/system_stats"))

    async def upload_image(self, data: bytes, name: str, subfolder: str = "") -> str:
        """Uploads an input file (into ``subfolder`` of ComfyUI's input folder); returns the name the graph
        refers to it by (``subfolder/name``)."""
        files = {"image": (name, data, "application/octet-stream")}
        form = {"overwrite": "true", **({"subfolder": subfolder} if subfolder else {})}
        answer = await self._json("POST", "/upload/image", files=files, data=form)
        stored = str(answer.get("name") or name)
        folder = str(answer.get("subfolder") or "")
        return f"{folder}/{stored}" if folder else stored

    async def output_classes(self, class_types: Iterable[str]) -> set[str] | None:
        """Which of ``class_types`` are output nodes (``/object_info/{class}``'s ``output_node``); None
        when ComfyUI cannot say (an older server, an unknown class)."""
        found = set()
        for class_type in sorted(set(class_types)):
            response = await self._call("GET", f"/object_info/{quote(class_type, safe='')}")
            try:
                info = response.json().get(class_type) if response.status_code == 200 else None
            except (ValueError, AttributeError):
                info = None
            if not isinstance(info, dict):
                return None
            if info.get("output_node"):
                found.add(class_type)
        return found

    async def queue_prompt(self, graph: Graph) -> str:
        """Queues the graph under this client's id; returns the prompt id.

        A graph ComfyUI refuses outright (400) or in part raises ``comfyui_execution_error``: when some
        output branches fail validation ComfyUI answers 200 with a prompt id and ``node_errors`` and runs
        the valid branches only, so that prompt is taken back (deleted, or interrupted) before raising.
        """
        response = await self._call("POST", "/prompt", json={"prompt": graph, "client_id": self.client_id})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not isinstance(body, dict) or "prompt_id" not in body:
            raise ComfyUIExecutionError(f"ComfyUI refused the workflow: {_refusal(body, response)}")
        prompt_id = str(body["prompt_id"])
        if body.get("node_errors"):
            try:
                await self.cancel(prompt_id)
            except ComfyUIUnavailableError as exc:
                logger.warning("partly refused ComfyUI prompt %s could not be taken back: %s", prompt_id, exc)
            raise ComfyUIExecutionError(f"ComfyUI refused part of the workflow: {_refusal(body, response)}")
        return prompt_id

    async def history(self, prompt_id: str) -> dict[str, Any] | None:
        """The prompt's ``/history`` entry once it has finished, else None."""
        answer = await self._json("GET", f"/history/{prompt_id}")
        entry = answer.get(prompt_id) if isinstance(answer, dict) else None
        return entry if isinstance(entry, dict) else None

    async def view(self, output: OutputFile) -> bytes:
        params = {"filename": output.filename, "subfolder": output.subfolder, "type": output.type}
        response = await self._call("GET", "/view", params=params)
        if response.status_code >= 400:
            raise ComfyUIExecutionError(f"ComfyUI has no output {output.filename!r} ({response.status_code})")
        return response.content

    async def queue_state(self, prompt_id: str) -> str | None:
        """``running``, ``pending`` or None (not in ComfyUI's queue)."""
        answer = await self._json("GET", "/queue")
        for state in ("running", "pending"):
            for item in answer.get(f"queue_{state}") or []:
                if isinstance(item, list) and len(item) > 1 and item[1] == prompt_id:
                    return state
        return None

    async def cancel(self, prompt_id: str) -> str | None:
        """Removes a pending prompt from the queue, or interrupts it if running; returns what was done.

        A prompt may start between the look at the queue and the delete (which leaves a running prompt
        alone), so the queue is read again after deleting and a prompt found running then is interrupted.
        """
        state = await self.queue_state(prompt_id)
        if state == "pending":
            await self._call("POST", "/queue", json={"delete": [prompt_id]})
            if await self.queue_state(prompt_id) == "running":
                state = "running"
        if state == "running":
            await self._call("POST", "/interrupt", json={"prompt_id": prompt_id})
        logger.info("ComfyUI prompt %s cancelled (%s)", prompt_id, state or "no longer queued")
        return state

    def websocket_url(self) -> str:
        url = httpx.URL(self.base_url)
        scheme = "wss" if url.scheme == "https" else "ws"
        return str(url.copy_with(scheme=scheme, path=url.path.rstrip("/") + "/ws", query=None)) + (
            f"?clientId={self.client_id}"
        )

    async def open_messages(self) -> ClientConnection:
        """Connects to ``/ws`` (before queueing, so no message of the prompt is missed)."""
        try:
            return await connect(
                self.websocket_url(), open_timeout=self.connect_timeout_s, max_size=None, proxy=None
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise ComfyUIUnavailableError(
                f"ComfyUI's websocket at {self.shown}/ws cannot be reached ({type(exc).__name__}: {exc})"
            ) from exc


def parse_message(raw: str | bytes) -> Message | None:
    """A ``/ws`` message as ``{"type", "data"}``; None for binary previews and anything malformed."""
    if isinstance(raw, bytes):
        return None
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if (
        isinstance(message, dict)
        and isinstance(message.get("type"), str)
        and isinstance(message.get("data"), dict)
    ):
        return message
    return None


def _refusal(body: object, response: httpx.Response) -> str:
    """ComfyUI's reasons for refusing a prompt: its ``error`` (message and ``details``, which name the
    node, e.g. ``Node ID '#4'``) and each node's ``node_errors`` (node id, class, message, details)."""
    if isinstance(body, dict):
        error = body.get("error")
        parts = []
        if isinstance(error, dict):
            message = str(error.get("message") or error.get("type") or "invalid prompt").strip()
            details = str(error.get("details") or "").strip()
            parts.append(f"{message} ({details})" if details else message)
        elif error:
            parts.append(str(error))
        node_errors = body.get("node_errors")
        for node_id, info in (node_errors if isinstance(node_errors, dict) else {}).items():
            errors = info.get("errors") if isinstance(info, dict) else None
            class_type = info.get("class_type") if isinstance(info, dict) else None
            node = f"node {node_id}" + (f" ({class_type})" if class_type else "")
            for item in errors or []:
                if isinstance(item, dict):
                    details = str(item.get("details") or "").strip()
                    parts.append(f"{node}: {item.get('message')}" + (f": {details}" if details else ""))
        if parts:
            return "; ".join(parts)[:1000]
    return f"HTTP {response.status_code}"
