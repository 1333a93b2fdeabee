"""``POST /api/face-swap/create-task`` and the synchronous ``POST /api/face-swap/process``."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from faceswap.choices import EngineName, EnhancerName, TaskStatus, UpscaleName
from faceswap.errors import recorded_error
from faceswap.service.api.deps import IdempotencyKey, State
from faceswap.service.api.envelope import Envelope
from faceswap.service.api.routes.tasks import absolute, create_task
from faceswap.service.api.state import ServiceState
from faceswap.service.tasks.model import FaceSelection, Task, TaskCreate, WebhookUrl
from faceswap.swap_protocol import FaceSwapResponse

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
