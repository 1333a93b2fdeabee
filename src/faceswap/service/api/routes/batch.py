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
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from faceswap.errors import FaceswapError, TaskTimeoutError
from faceswap.service.api.envelope import ok
from faceswap.service.api.routes.face_swap import FaceSwapBody
from faceswap.service.api.routes.tasks import absolute, create_task
from faceswap.service.api.state import ServiceState, get_state

router = APIRouter(prefix="/api/face-swap", tags=["face swap"])
State = Annotated[ServiceState, Depends(get_state)]

MAX_ITEMS = 100
MAX_CONCURRENCY = 16


class BatchBody(BaseModel):
    items: list[FaceSwapBody] = Field(min_length=1, max_length=MAX_ITEMS)
    concurrency: int = Field(default=4, ge=1, le=MAX_CONCURRENCY, description="items handled at once")
    wait: bool = Field(default=False, description="answer once every task has finished")
    timeout: float | None = Field(default=None, gt=0, le=3600, description="seconds to wait; default 120")


def _failure(index: int, error: FaceswapError) -> dict[str, Any]:
    return {"index": index, "success": False, "error": error.to_dict()}


async def _one(
    request: Request, state: ServiceState, body: BatchBody, index: int, deadline: float
) -> dict[str, Any]:
    try:
        task = await create_task(state, body.items[index].task(), None)
    except FaceswapError as error:
        return _failure(index, error)
    report: dict[str, Any] = {"index": index, "success": True, "task_id": task.task_id, "status": task.status}
    if not body.wait:
        return report
    try:
        done = await state.tasks.wait(task.task_id, max(0.0, deadline - asyncio.get_running_loop().time()))
    except TaskTimeoutError as error:
        return {**report, "success": False, "error": error.to_dict()}
    data = absolute(request, done)
    result = data.get("result") or {}
    return {
        **report,
        "success": done.status == "COMPLETED",
        "status": done.status,
        "result_url": result.get("output_url"),
        "error": data.get("error"),
    }


@router.post("/batch", summary="Create many face swap tasks at once, a few at a time, each reported")
async def batch(request: Request, state: State, body: BatchBody) -> dict[str, Any]:
    slots = asyncio.Semaphore(body.concurrency)
    deadline = asyncio.get_running_loop().time() + (body.timeout or state.settings.service.process_timeout_s)

    async def limited(index: int) -> dict[str, Any]:
        async with slots:
            return await _one(request, state, body, index, deadline)

    reports = await asyncio.gather(*(limited(i) for i in range(len(body.items))))
    created = sum(1 for r in reports if "task_id" in r)
    failed = sum(1 for r in reports if not r["success"])
    return ok({"items": reports, "total": len(reports), "created": created, "failed": failed})
