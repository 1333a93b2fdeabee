"""``POST /api/face-swap/create-task`` and the synchronous ``POST /api/face-swap/process``."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from faceswap.choices import EngineName, EnhancerName, TaskStatus, UpscaleName
from faceswap.service.api.deps import IdempotencyKey, State
from faceswap.service.api.envelope import Envelope, recorded_error
from faceswap.service.api.routes.tasks import absolute, create_task
from faceswap.service.api.state import ServiceState
from faceswap.service.tasks.model import FaceSelection, Task, TaskCreate, WebhookUrl

router = APIRouter(prefix="/api/face-swap", tags=["face swap"])


class FaceSwapBody(FaceSelection):
    source_url: str = Field(min_length=1, description="file id, stored key, http(s) or data: URL")
    target_url: str = Field(min_length=1)
    resolution: str | None = Field(default=None, description="video output WIDTHxHEIGHT")
    model: EngineName | None = None
    enhancer: EnhancerName | None = None
    upscale: UpscaleName | None = Field(default=None, description="frame enhancer upscaling the output")
    webhook: WebhookUrl | None = None

    def task(self) -> TaskCreate:
        wf = self.model_dump(exclude={"webhook"}, exclude_none=True)
        body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}, "webhook": self.webhook}
        return TaskCreate.model_validate(body)


class ProcessBody(FaceSwapBody):
    timeout: float | None = Field(default=None, gt=0, le=3600, description="seconds to wait; default 120")
    return_base64: bool = Field(default=False, description="also return the result inline as base64")


class FaceSwapMetadata(BaseModel):
    storage_url: str
    storage_provider: str
    gif_url: str | None = None
    webp_url: str | None = None
    content_type: str | None = None
    faces_swapped: int | None = None


class FaceSwapResponse(BaseModel):
    """A finished swap as ``POST /api/face-swap/process`` and ``faceswap engine-serve``'s ``POST /process``
    answer it."""

    status: str
    output_path: str
    processing_time: float
    job_id: str
    metadata: FaceSwapMetadata
    image_base64: str | None = None

    @classmethod
    def of(
        cls, job_id: str, result: dict[str, Any], url: str, storage_provider: str, inline: str | None
    ) -> FaceSwapResponse:
        """The answer for a face swap's ``result`` whose output is at ``url`` (absolute), with the output's
        bytes as ``inline`` base64 when asked for."""
        content_type = str(result.get("content_type") or "")
        return cls(
            status="success",
            output_path=url,
            processing_time=float(result.get("processing_time", 0.0)),
            job_id=job_id,
            metadata=FaceSwapMetadata(
                storage_url=url,
                storage_provider=storage_provider,
                gif_url=url if content_type == "image/gif" else None,
                webp_url=url if content_type == "image/webp" else None,
                content_type=content_type or None,
                faces_swapped=result.get("faces_swapped"),
            ),
            image_base64=inline,
        )


class CreatedTask(BaseModel):
    task_id: str
    status: TaskStatus
    task: Task


class CreatedTaskAnswer(Envelope[CreatedTask]):
    """The created task, its id and status also beside ``data`` (as the clients of this route read them)."""

    task_id: str
    status: TaskStatus


async def wait_completed(state: ServiceState, task_id: str, timeout: float | None) -> Task:
    """The task once COMPLETED (``timeout`` seconds at most, default ``process_timeout_s``); a failed or
    cancelled task raises its recorded error (a :class:`FaceswapError` with the same code)."""
    done = await state.tasks.wait(task_id, timeout or state.settings.service.process_timeout_s)
    if done.status != "COMPLETED" or done.result is None:
        code = done.error.code if done.error else "cancelled"
        message = done.error.message if done.error else f"task {done.task_id} was {done.status}"
        raise recorded_error(code, message)
    return done


@router.post("/create-task", summary="Create a face swap task from two URLs or file ids")
async def create_face_swap_task(
    request: Request, state: State, body: FaceSwapBody, idempotency_key: IdempotencyKey = None
) -> CreatedTaskAnswer:
    task = await create_task(state, body.task(), idempotency_key)
    created = CreatedTask(task_id=task.task_id, status=task.status, task=absolute(request, task))
    return CreatedTaskAnswer(data=created, task_id=task.task_id, status=task.status)


@router.post("/process", summary="Swap and wait for the result")
async def process(
    request: Request, state: State, body: ProcessBody, idempotency_key: IdempotencyKey = None
) -> FaceSwapResponse:
    task = await create_task(state, body.task(), idempotency_key)
    done = absolute(request, await wait_completed(state, task.task_id, body.timeout))
    result = done.result or {}
    inline = None
    if body.return_base64:
        inline = base64.b64encode(await state.storage.get(result["file_id"])).decode()
    return FaceSwapResponse.of(done.task_id, result, str(result["output_url"]), state.storage.scheme, inline)
