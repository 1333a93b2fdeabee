"""``/api/comm/*``: remote workers lease tasks, read inputs, heartbeat, upload results, complete or fail.

Every route needs a worker token (``Authorization: Bearer <token>``, 401 without a valid one); with no
token configured (``FACESWAP_SERVICE__WORKER_TOKENS``) they all answer 404. Per-task routes carry the
lease id in the ``X-Lease-Id`` header; a lease that is no longer held answers 409 ``lease_lost`` (or
``attempt_superseded`` when its task was re-queued or claimed again since). Uploaded result files are
stored under the lease's attempt folder, ``results/<task_id>/<attempt>/<name>``, and must be images or
videos by their bytes (:mod:`faceswap.service.comm.uploads`); a completion's URLs must point at them
(:mod:`faceswap.service.comm.result_urls`).
See docs/service.md, "Remote workers".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile as StarletteUploadFile

from faceswap.errors import BadOptionError
from faceswap.imaging.sniff import SNIFF_BYTES
from faceswap.service.api.deps import Comm, leases
from faceswap.service.api.envelope import Envelope, ErrorEnvelope
from faceswap.service.comm.messages import (
    LEASE_HEADER,
    Completion,
    Failure,
    Heartbeat,
    HeartbeatAnswer,
    LeasedTask,
    UploadedFile,
)
from faceswap.service.comm.uploads import result_file
from faceswap.service.tasks.model import Task
from faceswap.service.tasks.refs import read_input, stored_key

CHUNK = 1024 * 1024
BINARY = {"schema": {"type": "string", "format": "binary"}}

router = APIRouter(prefix="/api/comm", tags=["remote workers"], dependencies=[Depends(leases)])
LeaseId = Annotated[str, Header(alias=LEASE_HEADER, min_length=1, max_length=64)]


@router.get(
    "/task/fetch",
    summary="Lease the next task (long poll); 204 when none came within `timeout`",
    response_model=Envelope[LeasedTask],
    responses={204: {"description": "no task within the timeout"}},
)
async def fetch(
    request: Request,
    comm: Comm,
    timeout: Annotated[float, Query(ge=0, le=60, description="seconds to wait for a task")] = 20.0,
    worker: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[\w.-]+$")] = "remote",
) -> Any:
    leased = await comm.fetch(worker, timeout, request.is_disconnected)
    if leased is None:
        return Response(status_code=204)
    return Envelope(data=leased)


@router.post("/task/{task_id}/heartbeat", summary="Extend the lease and report progress; says if cancelled")
async def heartbeat(
    comm: Comm, task_id: str, lease_id: LeaseId, body: Heartbeat
) -> Envelope[HeartbeatAnswer]:
    return Envelope(data=await comm.heartbeat(task_id, lease_id, body.progress, body.detail))


@router.get(
    "/task/{task_id}/inputs/{index}",
    summary="One of the leased task's inputs (the order of the lease's `inputs`)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": BINARY}}},
)
async def task_input(comm: Comm, task_id: str, index: int, lease_id: LeaseId) -> Response:
    ref = await comm.input_ref(task_id, lease_id, index)
    storage = comm.storage
    key = await stored_key(storage, ref)
    if key is None:  # an http(s) or data: URL: the API fetches it, so workers need no outbound access
        settings = comm.settings  # through the SSRF guard with the operator's fetch settings, as in process
        data = await read_input(storage, ref, settings.limits.max_bytes, settings.fetch)
        return Response(data, media_type="application/octet-stream")
    obj = await storage.stat(key)
    stream = storage.stream(key)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in stream:
            yield chunk

    headers = {"Content-Length": str(obj.size)}
    return StreamingResponse(body(), media_type=obj.content_type, headers=headers)


RESULT_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/task/{task_id}/files",
    summary="Upload a result file (multipart `file`) of a leased task, stored under the lease's attempt",
    responses={
        415: {
            "model": ErrorEnvelope,
            "description": "`unsupported_format`: the file is not an image or video",
        }
    },
    openapi_extra=RESULT_FORM,
)
async def upload_result(
    request: Request, comm: Comm, task_id: str, lease_id: LeaseId
) -> Envelope[UploadedFile]:
    """The form is read here, once the worker token has been checked, so that a request without a valid
    token is refused before its body is read: results have no size limit (a long video's may be larger
    than its input), so this body is not bounded by ``limits.max_multipart_bytes``. The file's type is
    told by its bytes (the declared type is ignored): an image or a video, else 415."""
    async with request.form(max_files=1) as form:
        file = form.get("file")
        if not isinstance(file, StarletteUploadFile):
            raise BadOptionError("send the result as the multipart file field `file`")
        head = await file.read(max(SNIFF_BYTES, CHUNK))
        result = result_file(file.filename, head)

        async def chunks() -> AsyncIterator[bytes]:
            yield head
            while chunk := await file.read(CHUNK):
                yield chunk

        stored = await comm.store_file(task_id, lease_id, result.name, chunks(), result.content_type)
    url = await comm.storage.url(stored.key)
    return Envelope(
        data=UploadedFile(key=stored.key, size=stored.size, content_type=stored.content_type, url=url)
    )


@router.post("/task/{task_id}/complete", summary="Finish a leased task COMPLETED with its result")
async def complete(comm: Comm, task_id: str, lease_id: LeaseId, body: Completion) -> Envelope[Task]:
    return Envelope(data=await comm.complete(task_id, lease_id, body.result))


@router.post(
    "/task/{task_id}/fail",
    summary="Report a leased task's error `{code, message}`; transient errors are retried",
)
async def fail(comm: Comm, task_id: str, lease_id: LeaseId, body: Failure) -> Envelope[Task]:
    return Envelope(data=await comm.fail(task_id, lease_id, body.code, body.message))
