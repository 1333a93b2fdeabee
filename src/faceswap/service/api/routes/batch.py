"""``POST /api/face-swap/batch``: many swaps in one request, created (and optionally awaited) a few at a time.

Each item is a ``create-task`` body. Items are created with at most ``concurrency`` in flight (inputs
given inline are stored on the way), and each is reported on its own: ``{index, success, task_id,
status}`` or ``{index, success: false, error: {code, message}}``; one bad item never fails the others.
With ``wait`` the answer comes once every created task has finished (or ``timeout`` passed), with each
task's final status, result URL or error; a slot is then held until its task has finished, so at most
``concurrency`` of the batch's swaps are queued or running at once. The swaps run on the workers as usual.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from faceswap.choices import TaskStatus
from faceswap.errors import FaceswapError, TaskTimeoutError
from faceswap.service.api.deps import State
from faceswap.service.api.envelope import Envelope, ErrorBody, Sparse
from faceswap.service.api.routes.face_swap import FaceSwapBody
from faceswap.service.api.routes.tasks import absolute, create_task
from faceswap.service.api.state import ServiceState

router = APIRouter(prefix="/api/face-swap", tags=["face swap"])

MAX_ITEMS = 100
MAX_CONCURRENCY = 16


class BatchBody(BaseModel):
    items: list[FaceSwapBody] = Field(min_length=1, max_length=MAX_ITEMS)
    concurrency: int = Field(default=4, ge=1, le=MAX_CONCURRENCY, description="items handled at once")
    wait: bool = Field(default=False, description="answer once every task has finished")
    timeout: float | None = Field(default=None, gt=0, le=3600, description="seconds to wait; default 120")


class BatchItem(Sparse):
    """One item's report: its task (when created) and, with ``wait``, how the task ended."""

    index: int = Field(description="the item's place in `items`")
    success: bool
    task_id: str | None = Field(default=None, description="the created task; absent when not created")
    status: TaskStatus | None = Field(
        default=None, description="the task's status (with `wait`: as it ended); absent when not created"
    )
    result_url: str | None = Field(
        default=None, description="with `wait`, once the task ended: its result (null unless COMPLETED)"
    )
    error: ErrorBody | None = Field(
        default=None, description="why the item failed (with `wait`, once the task ended: null if it did not)"
    )


class BatchReport(BaseModel):
    items: list[BatchItem]
    total: int
    created: int = Field(description="items whose task was created")
    failed: int = Field(description="items that were not created or (with `wait`) did not complete")


async def _one(
    request: Request, state: ServiceState, body: BatchBody, index: int, deadline: float
) -> BatchItem:
    try:
        task = await create_task(state, body.items[index].task(), None)
    except FaceswapError as error:
        return BatchItem(index=index, success=False, error=ErrorBody(**error.to_dict()))
    report = BatchItem(index=index, success=True, task_id=task.task_id, status=task.status)
    if not body.wait:
        return report
    try:
        done = await state.tasks.wait(task.task_id, max(0.0, deadline - asyncio.get_running_loop().time()))
    except TaskTimeoutError as error:
        return report.model_copy(update={"success": False, "error": ErrorBody(**error.to_dict())})
    done = absolute(request, done)
    return report.model_copy(
        update={
            "success": done.status == "COMPLETED",
            "status": done.status,
            "result_url": (done.result or {}).get("output_url"),
            "error": ErrorBody(**done.error.model_dump()) if done.error else None,
        }
    )


@router.post("/batch", summary="Create many face swap tasks at once, a few at a time, each reported")
async def batch(request: Request, state: State, body: BatchBody) -> Envelope[BatchReport]:
    slots = asyncio.Semaphore(body.concurrency)
    deadline = asyncio.get_running_loop().time() + (body.timeout or state.settings.service.process_timeout_s)

    async def limited(index: int) -> BatchItem:
        async with slots:
            return await _one(request, state, body, index, deadline)

    reports = await asyncio.gather(*(limited(i) for i in range(len(body.items))))
    created = sum(1 for r in reports if r.task_id is not None)
    failed = sum(1 for r in reports if not r.success)
    return Envelope(data=BatchReport(items=reports, total=len(reports), created=created, failed=failed))
