"""ComfyUI workflows as tasks: inputs uploaded and bound, the prompt queued and followed, outputs stored.

Progress: 0-5 % uploads, 5-90 % the prompt's nodes (``/ws`` messages), 90-100 % outputs. If the
websocket drops mid-run the processor polls ``/history`` instead (progress then waits at its last value).
A cancel or a time limit (``comfyui.timeout_s``) is forwarded: a pending prompt is removed from
ComfyUI's queue, a running one interrupted. See docs/comfyui.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import WebSocketException

from faceswap.choices import MediaType
from faceswap.comfyui.client import ComfyClient, parse_message
from faceswap.comfyui.graph import execution_error, output_files, substitute
from faceswap.comfyui.progress import PromptProgress
from faceswap.comfyui.tasks import comfy_task
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

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 120.0
"""One HTTP request to ComfyUI (an upload, an output's download)."""
POLL_S = 0.25
"""How often the run looks for a cancel while it waits for ComfyUI."""
HISTORY_POLL_S = 1.0
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
        uploaded = {}
        for name, ref in task.files.items():
            data = await run.read(ref)
            uploaded[name] = await comfy.upload_image(data, f"{run.task_id}-{name}{_suffix(data)}")
        run.progress(0.05)
        graph = substitute(task.workflow, uploaded, task.values)
        connection = await comfy.open_messages()
        try:
            prompt_id = await comfy.queue_prompt(graph)
            logger.info("task %s: ComfyUI prompt %s queued (%d nodes)", run.task_id, prompt_id, len(graph))
            await _run_prompt(
                run, comfy, connection, PromptProgress(prompt_id, len(graph)), settings.timeout_s
            )
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


async def _run_prompt(
    run: TaskRun, comfy: ComfyClient, connection: ClientConnection, state: PromptProgress, limit: float
) -> None:
    """Follows the prompt to its end; forwards a cancel or the time limit to ComfyUI."""
    try:
        async with asyncio.timeout(limit):
            await _follow(run, comfy, connection, state)
    except TimeoutError:
        await _forward_cancel(comfy, state.prompt_id)
        raise TaskTimeoutError(f"the ComfyUI workflow ran longer than its limit of {limit:g} s") from None
    except (asyncio.CancelledError, CancelledError):
        await asyncio.shield(_forward_cancel(comfy, state.prompt_id))
        raise


async def _follow(
    run: TaskRun, comfy: ComfyClient, connection: ClientConnection, state: PromptProgress
) -> None:
    while not state.finished:
        if run.should_cancel():
            raise CancelledError("cancelled by the client")
        try:
            raw = await asyncio.wait_for(connection.recv(), POLL_S)
        except TimeoutError:
            continue
        except WebSocketException:
            logger.warning("task %s: ComfyUI's websocket closed; polling /history", run.task_id)
            await _poll_history(run, comfy, state.prompt_id)
            return
        message = parse_message(raw)
        if message is not None and not state.update(message):
            run.progress(0.05 + 0.85 * state.fraction)


async def _poll_history(run: TaskRun, comfy: ComfyClient, prompt_id: str) -> None:
    while await comfy.history(prompt_id) is None:
        if run.should_cancel():
            raise CancelledError("cancelled by the client")
        if await comfy.queue_state(prompt_id) is None and await comfy.history(prompt_id) is None:
            raise ComfyUIExecutionError(
                f"ComfyUI dropped prompt {prompt_id} (restarted or cleared its queue)"
            )
        await asyncio.sleep(HISTORY_POLL_S)


async def _forward_cancel(comfy: ComfyClient, prompt_id: str) -> None:
    try:
        await comfy.cancel(prompt_id)
    except ComfyUIUnavailableError as exc:
        logger.warning("the cancel of ComfyUI prompt %s did not reach it: %s", prompt_id, exc)


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
