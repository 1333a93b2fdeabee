"""The legacy job routes the existing frontend calls: single, multi-face and video swaps, status, cancel
(and retry).

Inputs come as multipart files, or as form fields with uploaded file ids, URLs or base64. The job is a
task in the unified format (its id is the ``job_id``); ``status`` is the lowercase word of the same state
machine and ``progress`` a percentage (0-100), as these clients expect; the progress detail (``stage``,
``frames_done``, ``frames_total``, ``fps``, ``eta_s``) and ``queue_position`` are the unified task's.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from faceswap.choices import EngineName, EnhancerName, UpscaleName
from faceswap.errors import BadOptionError
from faceswap.service.api.deps import IdempotencyKey, State, Tasks
from faceswap.service.api.envelope import Envelope
from faceswap.service.api.inputs import base64_ref, input_ref, store_file
from faceswap.service.api.routes.tasks import absolute, create_task, retry_task
from faceswap.service.api.selection_form import selection_form
from faceswap.service.api.state import ServiceState
from faceswap.service.api.task_answers import LegacyJob
from faceswap.service.tasks.model import (
    MAX_SOURCES,
    Task,
    TaskCreate,
    WebhookUrl,
    check_mapping,
    legacy_status,
)

router = APIRouter(prefix="/api", tags=["jobs (legacy)"])
OptFile = Annotated[UploadFile | None, File()]
OptText = Annotated[str | None, Form()]
OptWebhook = Annotated[WebhookUrl | None, Form()]
FaceSelectionForm = Annotated[dict[str, Any], Depends(selection_form)]


async def one_input(
    state: ServiceState,
    what: str,
    upload: UploadFile | None,
    file_id: str | None,
    url: str | None,
    b64: str | None,
) -> str:
    """The reference of one input given in any of the four ways (exactly one)."""
    given = [v for v in (upload, file_id, url, b64) if v]
    if len(given) != 1:
        raise BadOptionError(f"give {what} once: as a file, a file id, a URL or base64")
    limit = state.limits
    if upload is not None:
        return (await store_file(state.storage, upload, limit)).file_id
    if b64:
        return await base64_ref(state.storage, b64, limit)
    return await input_ref(state.storage, str(file_id or url), limit)


def parse_mapping(text: str) -> dict[int, int]:
    """``{"0": 1}`` (JSON) or ``0=1,1=0``: source index -> target face index (left to right)."""
    try:
        if text.lstrip().startswith("{"):
            return {int(k): int(v) for k, v in json.loads(text).items()}
        pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
        return {int(k): int(v) for k, v in pairs}
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise BadOptionError(
            f"mapping must be JSON {{source: face}} or SOURCE=FACE,...; got {text[:80]!r}"
        ) from exc


def job_data(request: Request, task: Task) -> Envelope[LegacyJob]:
    """The task as the legacy routes answer it."""
    result = absolute(request, task).result or {}
    job = LegacyJob(
        job_id=task.task_id,
        task_id=task.task_id,
        status=legacy_status(task.status),
        progress=round(task.progress * 100, 1),
        retries=task.retries,
        result_url=result.get("output_url"),
        error_message=task.error.message if task.error else None,
        error_code=task.error.code if task.error else None,
        result=result or None,
        created_at=task.created_at.isoformat(),
        updated_at=task.updated_at.isoformat(),
        stage=task.stage,
        frames_done=task.frames_done,
        frames_total=task.frames_total,
        fps=task.fps,
        eta_s=task.eta_s,
        queue_position=task.queue_position,
    )
    return Envelope(data=job)


async def submit(
    request: Request, state: ServiceState, wf: dict[str, Any], webhook: str | None, key: str | None
) -> Envelope[LegacyJob]:
    body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}, "webhook": webhook}
    task = await create_task(state, TaskCreate.model_validate(body), key)
    return job_data(request, task)


@router.post("/single-image-swap", summary="Swap one face from source_image into target_image")
async def single_image_swap(
    request: Request,
    state: State,
    selection: FaceSelectionForm,
    source_image: OptFile = None,
    target_image: OptFile = None,
    source_file_id: OptText = None,
    target_file_id: OptText = None,
    source_url: OptText = None,
    target_url: OptText = None,
    source_base64: OptText = None,
    target_base64: OptText = None,
    model: Annotated[EngineName | None, Form()] = None,
    enhancer: Annotated[EnhancerName | None, Form()] = None,
    upscale: Annotated[UpscaleName | None, Form(description="frame enhancer upscaling the output")] = None,
    webhook: OptWebhook = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[LegacyJob]:
    wf = {
        "source_url": await one_input(
            state, "the source", source_image, source_file_id, source_url, source_base64
        ),
        "target_url": await one_input(
            state, "the target", target_image, target_file_id, target_url, target_base64
        ),
        "model": model,
        "enhancer": enhancer,
        "upscale": upscale,
        **selection,
    }
    return await submit(request, state, wf, webhook, idempotency_key)


@router.post("/multi-image-swap", summary="Map several source faces onto the faces of one target")
async def multi_image_swap(
    request: Request,
    state: State,
    selection: FaceSelectionForm,
    mapping: Annotated[str, Form(description='{"0": 1} or 0=1,1=0: source index -> face index')],
    source_images: Annotated[list[UploadFile] | None, File()] = None,
    source_file_ids: OptText = None,
    target_image: OptFile = None,
    target_file_id: OptText = None,
    target_url: OptText = None,
    target_base64: OptText = None,
    model: Annotated[EngineName | None, Form()] = None,
    enhancer: Annotated[EnhancerName | None, Form()] = None,
    upscale: Annotated[UpscaleName | None, Form(description="frame enhancer upscaling the output")] = None,
    webhook: OptWebhook = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[LegacyJob]:
    limit = state.limits
    file_ids = [file_id.strip() for file_id in (source_file_ids or "").split(",") if file_id.strip()]
    count = len(source_images or []) + len(file_ids)
    if not count:
        raise BadOptionError("give the sources as source_images files or comma-separated source_file_ids")
    if count > MAX_SOURCES:
        raise BadOptionError(f"at most {MAX_SOURCES} sources per task; got {count}")
    parsed_mapping = parse_mapping(mapping)  # refused before any file is stored
    try:
        check_mapping(parsed_mapping, count)
    except ValueError as exc:
        raise BadOptionError(str(exc)) from exc
    sources = [(await store_file(state.storage, f, limit)).file_id for f in source_images or []]
    sources.extend([await input_ref(state.storage, file_id, limit) for file_id in file_ids])
    wf = {
        "source_urls": sources,
        "target_url": await one_input(
            state, "the target", target_image, target_file_id, target_url, target_base64
        ),
        "mapping": parsed_mapping,
        "model": model,
        "enhancer": enhancer,
        "upscale": upscale,
        **selection,
    }
    return await submit(request, state, wf, webhook, idempotency_key)


@router.post("/video-swap", summary="Swap a face through a target video")
async def video_swap(
    request: Request,
    state: State,
    selection: FaceSelectionForm,
    source_image: OptFile = None,
    target_video: OptFile = None,
    source_file_id: OptText = None,
    target_file_id: OptText = None,
    source_url: OptText = None,
    target_url: OptText = None,
    resolution: OptText = None,
    model: Annotated[EngineName | None, Form()] = None,
    enhancer: Annotated[EnhancerName | None, Form()] = None,
    upscale: Annotated[UpscaleName | None, Form(description="frame enhancer upscaling the output")] = None,
    webhook: OptWebhook = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[LegacyJob]:
    wf = {
        "source_url": await one_input(state, "the face", source_image, source_file_id, source_url, None),
        "target_url": await one_input(state, "the video", target_video, target_file_id, target_url, None),
        "resolution": resolution,
        "model": model,
        "enhancer": enhancer,
        "upscale": upscale,
        **selection,
    }
    return await submit(request, state, wf, webhook, idempotency_key)


@router.get(
    "/status/{job_id}",
    summary="A job's status, progress (percent), result URL or error",
)
async def job_status(request: Request, tasks: Tasks, job_id: str) -> Envelope[LegacyJob]:
    return job_data(request, await tasks.get(job_id))


@router.post(
    "/cancel/{job_id}",
    summary="Cancel queued or running work (409 once finished)",
)
async def cancel_job(request: Request, tasks: Tasks, job_id: str) -> Envelope[LegacyJob]:
    return job_data(request, await tasks.cancel(job_id))


@router.post(
    "/retry/{job_id}",
    summary="Run a failed or cancelled job again under the same id (409 otherwise)",
)
async def retry_job(request: Request, state: State, job_id: str) -> Envelope[LegacyJob]:
    return job_data(request, await retry_task(state, job_id))
