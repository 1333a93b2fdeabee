"""The unified task routes: create, read, list, cancel, retry, and server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError

from faceswap.choices import TaskStatus
from faceswap.errors import BadOptionError, OutputError
from faceswap.service.api.deps import IdempotencyKey, State, Tasks
from faceswap.service.api.envelope import Envelope
from faceswap.service.api.inputs import check_still_stored, check_urls, normalize
from faceswap.service.api.model_check import check_models
from faceswap.service.api.state import ServiceState
from faceswap.service.tasks.client import MAX_PAGE
from faceswap.service.tasks.comfyui import check_workflow
from faceswap.service.tasks.model import Task, TaskCreate, TaskPage
from faceswap.service.tasks.preview import PREVIEW_WORKFLOW

router = APIRouter(prefix="/api/tasks", tags=["tasks"])
AnswerT = TypeVar("AnswerT", bound=BaseModel)


def absolute_url(request: Request, url: str) -> str:
    """``url`` made absolute for this request's host when it is a path on this API."""
    return str(request.base_url).rstrip("/") + url if url.startswith("/") else url


def absolute(request: Request, task: Task) -> Task:
    """The task with its result URL made absolute for this request's host."""
    result = task.result
    if result is None or not isinstance(result.get("output_url"), str):
        return task
    return task.model_copy(
        update={"result": {**result, "output_url": absolute_url(request, result["output_url"])}}
    )


def result_as(answer: type[AnswerT], data: dict[str, Any]) -> AnswerT:
    """A finished task's result (with what the route adds) as the route's answer; ``output_failed`` when
    a worker's result lacks what the answer needs (a remote worker's result is not trusted)."""
    try:
        return answer.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors()[:5])
        raise OutputError(f"the worker's result does not fit the answer (fields: {fields})") from exc


async def create_task(
    state: ServiceState, create: TaskCreate, idempotency_key: str | None, *, preview: bool = False
) -> Task:
    """Checks and normalises ``create``'s inputs and queues it; ``preview`` for ``POST /api/preview``'s
    hidden task, the only way to make a ``face_preview`` task."""
    if (create.workflow == PREVIEW_WORKFLOW) != preview:
        raise BadOptionError(f"the {PREVIEW_WORKFLOW} workflow is run by POST /api/preview only")
    check_workflow(create, state.settings)
    create.wf.added_boxes()  # bad_option for a malformed box drawn around a missed face
    check_urls(create, state.settings.fetch)
    check_models(create, state.settings)
    create = await normalize(state.storage, create, state.limits)
    return await state.tasks.submit(create, idempotency_key=idempotency_key, preview=preview)


@router.post("/create", summary="Create a task (unified format)")
async def create(
    request: Request, state: State, body: TaskCreate, idempotency_key: IdempotencyKey = None
) -> Envelope[Task]:
    return Envelope(data=absolute(request, await create_task(state, body, idempotency_key)))


@router.get("", summary="List tasks, newest first")
async def list_tasks(
    request: Request,
    tasks: Tasks,
    status: TaskStatus | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Envelope[TaskPage]:
    page = await tasks.list(status, offset=offset, limit=limit)
    return Envelope(data=page.model_copy(update={"tasks": [absolute(request, t) for t in page.tasks]}))


@router.get(
    "/{task_id}",
    summary="A task's status, progress (stage, frames, fps, time left), place in line, result or error",
)
async def get_task(request: Request, tasks: Tasks, task_id: str) -> Envelope[Task]:
    return Envelope(data=absolute(request, await tasks.get(task_id)))


@router.post("/{task_id}/cancel", summary="Cancel a task (409 once finished)")
async def cancel_task(request: Request, tasks: Tasks, task_id: str) -> Envelope[Task]:
    return Envelope(data=absolute(request, await tasks.cancel(task_id)))


async def retry_task(state: ServiceState, task_id: str) -> Task:
    """The task back to PENDING under the same id, if its stored inputs are all still there."""

    async def inputs_present(create: TaskCreate) -> None:
        await check_still_stored(state.storage, create)

    return await state.tasks.retry(task_id, check=inputs_present)


@router.post(
    "/{task_id}/retry",
    summary="Run a FAILED or CANCELLED task again under the same id (409 otherwise, 410 inputs gone)",
)
async def retry(request: Request, state: State, task_id: str) -> Envelope[Task]:
    return Envelope(data=absolute(request, await retry_task(state, task_id)))


@router.get(
    "/{task_id}/events",
    summary="Status, progress and its detail, place in line as server-sent events, until the task finishes",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def task_events(request: Request, tasks: Tasks, task_id: str) -> StreamingResponse:
    """One event each time the task's status, progress, progress detail (``stage``, ``frames_done``,
    ``frames_total``, ``fps``, ``eta_s``) or ``queue_position`` changes: the event is named after the
    status in lowercase and its data is the task (unified format), as ``GET /api/tasks/{task_id}``
    answers it. The stream ends when the task finishes."""
    await tasks.get(task_id)  # 404 before the stream starts

    async def events() -> AsyncIterator[str]:
        async for task in tasks.changes(task_id):
            if await request.is_disconnected():
                return
            yield f"event: {task.status.lower()}\nid: {task.updated_at.timestamp():.3f}\n"
            yield f"data: {json.dumps(absolute(request, task).dump())}\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
