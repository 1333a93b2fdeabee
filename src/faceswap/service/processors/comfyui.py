"""ComfyUI workflows as tasks: inputs uploaded and bound, the prompt queued and followed, outputs stored.

Each try first waits (up to ``comfyui.ready_wait_s``) for ComfyUI to answer ``/system_stats``, so a
restart does not use up the task's tries. Inputs are uploaded into the ``faceswap/`` subfolder of
ComfyUI's input folder as ``<task id>-<input name>.<ext>`` (ComfyUI cannot delete inputs: operators
clean that folder, docs/comfyui.md). Progress: 0-5 % uploads, 5-90 % the nodes ComfyUI runs (those
feeding an output node; ``/ws`` messages), 90-100 % outputs. When no message of the prompt has come for
``QUIET_S`` the run looks at ``/history`` and ``/queue``: finished (an end message was missed) or gone
(the queue was cleared). If the websocket drops (a restart) the run waits for ComfyUI again and polls
``/history``; a prompt lost that way is ``comfyui_unavailable`` (retried). A cancel or a time limit
(``comfyui.timeout_s``) is forwarded: a pending prompt is removed from ComfyUI's queue, a running one
interrupted. See docs/comfyui.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import WebSocketException

from faceswap.choices import MediaType
from faceswap.comfyui.client import ComfyClient, parse_message
from faceswap.comfyui.graph import execution_error, nodes_to_run, output_files, substitute
from faceswap.comfyui.progress import PromptProgress
from faceswap.config import ComfyUISettings
from faceswap.errors import (
    BadOptionError,
    CancelledError,
    ComfyUIExecutionError,
    ComfyUIUnavailableError,
    TaskTimeoutError,
    UnsupportedFormatError,
)
from faceswap.imaging.sniff import SNIFF_BYTES, extension, mime_type, sniff
from faceswap.service.processors.base import TaskRun
from faceswap.service.tasks.comfyui import comfy_task

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 120.0
"""One HTTP request to ComfyUI (an upload, an output's download)."""
POLL_S = 0.25
"""How often the run looks for a cancel while it waits for ComfyUI."""
HISTORY_POLL_S = 1.0
"""How often the run polls ``/history`` once the websocket has closed."""
QUIET_S = 5.0
"""After this long without a message of the prompt, the run asks ``/history`` and ``/queue`` about it."""
READY_POLL_S = 1.0
"""How often a try asks ``/system_stats`` while it waits for ComfyUI."""
FORWARD_CANCEL_S = 15.0
"""Longest a cancel (or a time limit) takes to reach ComfyUI: queue look, delete, look again, interrupt."""
UPLOAD_FOLDER = "faceswap"
"""The subfolder of ComfyUI's input folder that holds the inputs this service uploads."""
HISTORY_WAIT_S = 10.0
"""How long a finished prompt may take to show in ``/history``."""
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def process(run: TaskRun) -> dict[str, Any]:
    settings = run.worker.settings.comfyui
    if settings.url is None:
        raise BadOptionError(f"workflow {run.task.workflow!r} needs a ComfyUI server (COMFYUI_URL)")
    task = comfy_task(run.task, run.worker.settings)
    started = time.perf_counter()
    async with ComfyClient(
        settings.url, timeout_s=REQUEST_TIMEOUT_S, connect_timeout_s=settings.connect_timeout_s
    ) as comfy:
        await _wait_ready(run, comfy, settings.ready_wait_s)
        uploaded = {}
        for name, ref in task.files.items():
            data = await run.read(ref)
            uploaded[name] = await comfy.upload_image(
                data, f"{run.task_id}-{name}{_suffix(data)}", UPLOAD_FOLDER
            )
        run.progress(0.05)
        graph = substitute(task.workflow, uploaded, task.values)
        nodes = nodes_to_run(graph, await comfy.output_classes(n["class_type"] for n in graph.values()))
        connection = await comfy.open_messages()
        try:
            prompt_id = await comfy.queue_prompt(graph)
            logger.info(
                "task %s: ComfyUI prompt %s queued (%d of %d nodes to run)",
                run.task_id,
                prompt_id,
                len(nodes),
                len(graph),
            )
            follow = _Follow(run, comfy, connection, PromptProgress(prompt_id, len(nodes)), settings)
            await follow.until_end()
        finally:
            await connection.close()
        entry = await _history(run, comfy, prompt_id)
        outputs = await _store_outputs(run, comfy, entry)
    run.progress(1.0)
    first = outputs[0] if outputs else {}
    return {
        "kind": "comfyui",
        **{k: first[k] for k in ("file_id", "output_url", "content_type", "size") if k in first},
        "workflow": task.name,
        "prompt_id": prompt_id,
        "outputs": outputs,
        "processing_time": round(time.perf_counter() - started, 3),
    }


def _suffix(data: bytes) -> str:
    kind = _media(data)
    return extension(kind) if kind is not None else ".bin"


async def _wait_ready(run: TaskRun, comfy: ComfyClient, limit: float) -> None:
    """Returns once ComfyUI answers ``/system_stats``; ``comfyui_unavailable`` after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        try:
            await comfy.system_stats()
            return
        except ComfyUIUnavailableError as exc:
            if time.monotonic() >= deadline:
                raise ComfyUIUnavailableError(f"{exc.message} (waited {limit:g} s for it)") from exc
        if run.should_cancel():
            raise CancelledError("cancelled by the client")
        await asyncio.sleep(min(READY_POLL_S, max(0.0, deadline - time.monotonic())))


PromptState = Literal["finished", "queued", "gone"]


async def _prompt_state(comfy: ComfyClient, prompt_id: str) -> PromptState:
    """Where the prompt is: in ``/history`` (finished), in ``/queue``, or in neither (gone)."""
    if await comfy.history(prompt_id) is not None:
        return "finished"
    if await comfy.queue_state(prompt_id) is not None:
        return "queued"
    # it may have finished between the two looks
    return "finished" if await comfy.history(prompt_id) is not None else "gone"


@dataclass
class _Follow:
    """Follows one queued prompt to its end; forwards a cancel or the time limit to ComfyUI."""

    run: TaskRun
    comfy: ComfyClient
    connection: ClientConnection
    state: PromptProgress
    settings: ComfyUISettings

    @property
    def prompt_id(self) -> str:
        return self.state.prompt_id

    async def until_end(self) -> None:
        limit = self.settings.timeout_s
        try:
            async with asyncio.timeout(limit):
                await self._messages()
        except TimeoutError:
            await _forward_cancel(self.comfy, self.prompt_id)
            raise TaskTimeoutError(f"the ComfyUI workflow ran longer than its limit of {limit:g} s") from None
        except (asyncio.CancelledError, CancelledError):
            await _forward_cancel_surely(self.comfy, self.prompt_id)
            raise

    def _check_cancel(self) -> None:
        if self.run.should_cancel():
            raise CancelledError("cancelled by the client")

    async def _messages(self) -> None:
        """Reads ``/ws`` until the prompt ends; after ``QUIET_S`` without a message of it, asks ComfyUI."""
        heard = time.monotonic()
        while not self.state.finished:
            self._check_cancel()
            if time.monotonic() - heard >= QUIET_S:
                state = await _prompt_state(self.comfy, self.prompt_id)
                if state == "finished":
                    logger.info(
                        "task %s: prompt %s is in /history (end message missed)",
                        self.run.task_id,
                        self.prompt_id,
                    )
                    return
                if state == "gone":
                    raise ComfyUIExecutionError(
                        f"ComfyUI dropped prompt {self.prompt_id}: it is neither queued nor in its history "
                        "(its queue was cleared)"
                    )
                heard = time.monotonic()
            try:
                raw = await asyncio.wait_for(self.connection.recv(), POLL_S)
            except TimeoutError:
                continue
            except WebSocketException:
                logger.warning("task %s: ComfyUI's websocket closed; polling /history", self.run.task_id)
                await self._after_close()
                return
            message = parse_message(raw)
            if message is None:
                continue
            if message["data"].get("prompt_id") == self.prompt_id:
                heard = time.monotonic()
            if not self.state.update(message):
                self.run.progress(0.05 + 0.85 * self.state.fraction)

    async def _after_close(self) -> None:
        """The websocket closed (ComfyUI restarting, or the network): waits for ComfyUI, then polls."""
        await _wait_ready(self.run, self.comfy, self.settings.ready_wait_s)
        while (state := await _prompt_state(self.comfy, self.prompt_id)) == "queued":
            self._check_cancel()
            await asyncio.sleep(HISTORY_POLL_S)
        if state == "gone":
            raise ComfyUIUnavailableError(
                f"ComfyUI lost prompt {self.prompt_id} when its websocket closed (it restarted)"
            )


async def _forward_cancel(comfy: ComfyClient, prompt_id: str) -> None:
    """Removes or interrupts the prompt (within ``FORWARD_CANCEL_S``); logs a cancel that failed."""
    try:
        async with asyncio.timeout(FORWARD_CANCEL_S):
            await comfy.cancel(prompt_id)
    except (ComfyUIUnavailableError, TimeoutError) as exc:
        logger.warning("the cancel of ComfyUI prompt %s did not reach it: %r", prompt_id, exc)


async def _forward_cancel_surely(comfy: ComfyClient, prompt_id: str) -> None:
    """Forwards a cancel to the end even when this task is cancelled again meanwhile (SAQ's abort loop
    cancels the run; leaving early would close the client under the requests); then re-raises that."""
    forward = asyncio.ensure_future(_forward_cancel(comfy, prompt_id))
    cancelled_again = False
    while not forward.done():
        try:
            await asyncio.shield(forward)
        except asyncio.CancelledError:
            cancelled_again = True
    if cancelled_again:
        raise asyncio.CancelledError


async def _history(run: TaskRun, comfy: ComfyClient, prompt_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + HISTORY_WAIT_S
    while (entry := await comfy.history(prompt_id)) is None:
        if time.monotonic() > deadline:
            raise ComfyUIExecutionError(f"ComfyUI finished prompt {prompt_id} but has no history of it")
        await asyncio.sleep(POLL_S)
    if message := execution_error(entry):
        raise ComfyUIExecutionError(message)
    return entry


async def _store_outputs(run: TaskRun, comfy: ComfyClient, entry: dict[str, Any]) -> list[dict[str, Any]]:
    files = output_files(entry)
    stored = []
    for index, output in enumerate(files):
        data = await comfy.view(output)
        kind = _media(data)
        name = _SAFE.sub("_", output.filename).strip("._") or "output"
        if kind is not None:
            name = f"{name.rsplit('.', 1)[0]}{extension(kind)}"
        content_type = _content_type(kind)
        item = await run.outputs.store(f"{index:02d}-{name}"[:120], data, content_type)
        stored.append({**item, "node": output.node, "filename": output.filename})
        run.progress(0.9 + 0.1 * (index + 1) / len(files))
    if not stored:
        logger.warning("task %s: the ComfyUI workflow wrote no output file", run.task_id)
    return stored


def _media(data: bytes) -> MediaType | None:
    with contextlib.suppress(UnsupportedFormatError):
        return sniff(data[:SNIFF_BYTES])
    return None


def _content_type(kind: MediaType | None) -> str:
    return mime_type(kind) if kind is not None else "application/octet-stream"
