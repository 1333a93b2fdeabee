"""``POST /api/upload`` and ``GET /api/download/{file_id}``.

A result's ``file_id`` is its key, ``results/<task_id>/<attempt>/<name>``. The shorter
``results/<task_id>/<name>`` that clients built before results had attempt folders (and under which
older results are still stored) keeps working: when no object is stored under it, it names the file
``<name>`` of the attempt that completed the task. Downloads carry ``nosniff`` and a sandboxing CSP, and
are ``attachment`` unless an image or video (:mod:`faceswap.service.api.served`), and serve one byte range
(``Range``, :mod:`faceswap.service.api.ranges`) so that a browser can seek in a video.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Query, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from saq.job import Status

from faceswap.choices import MediaType
from faceswap.errors import NotFoundError
from faceswap.service.api.deps import State
from faceswap.service.api.envelope import Envelope
from faceswap.service.api.inputs import store_file
from faceswap.service.api.ranges import UnsatisfiableRangeError, parse_range
from faceswap.service.api.served import MAX_DOWNLOAD_NAME, download_headers
from faceswap.service.api.state import ServiceState
from faceswap.service.queue.attempts import attempt_name
from faceswap.service.tasks.refs import stored_key
from faceswap.storage.keys import parse_result_key, result_key

router = APIRouter(prefix="/api", tags=["files"])
BINARY = {"schema": {"type": "string", "format": "binary"}}


class UploadedInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_id: str = Field(description="names the file in a task's inputs (`source_url`, `target_url` ...)")
    key: str = Field(description="where it is stored (`uploads/...`)")
    media_type: MediaType
    content_type: str = Field(description="told by the file's bytes")
    size: int


@router.post("/upload", summary="Upload an image or video; returns its file_id")
async def upload(state: State, file: Annotated[UploadFile, File()]) -> Envelope[UploadedInput]:
    """Images jpg/jpeg/png/webp/gif/bmp, videos mp4/mov/avi/webm/mkv, told by content."""
    stored = await store_file(state.storage, file, state.limits)
    return Envelope(data=UploadedInput.model_validate(stored.dump()))


@router.get(
    "/download/{file_id:path}",
    summary="Download an upload or a result",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": BINARY}},
        206: {
            "description": "the byte range asked for (`Range`)",
            "content": {"application/octet-stream": BINARY},
        },
        416: {"description": "the range starts past the end of the file"},
    },
)
async def download(
    state: State,
    file_id: str,
    name: Annotated[
        str | None,
        Query(
            max_length=MAX_DOWNLOAD_NAME,
            description="the file name the download is saved under (its extension is the stored file's)",
        ),
    ] = None,
    byte_range: Annotated[
        str | None, Header(alias="Range", description="one byte range, `bytes=START-END` (answered 206)")
    ] = None,
) -> Response:
    """``file_id`` is an upload's id or a stored key such as ``results/<task_id>/<attempt>/output.png``
    (``results/<task_id>/output.png`` names the completed task's ``output.png``)."""
    key = await stored_key(state.storage, file_id)
    if key is None:
        raise NotFoundError(f"no file {file_id!r}")
    key = await completed_result_key(state, key)
    obj = await state.storage.stat(key)
    headers = {**download_headers(obj, name), "Accept-Ranges": "bytes"}
    try:
        wanted = parse_range(byte_range, obj.size)
    except UnsatisfiableRangeError:
        headers = {"Content-Range": f"bytes */{obj.size}", "Accept-Ranges": "bytes"}
        return Response(status_code=416, headers=headers)
    if wanted is None:
        stream = state.storage.stream(key)
        return StreamingResponse(stream, media_type=obj.content_type, headers=headers)
    headers.update({"Content-Range": wanted.content_range, "Content-Length": str(wanted.length)})
    stream = state.storage.stream(key, start=wanted.start, stop=wanted.end + 1)
    return StreamingResponse(stream, status_code=206, media_type=obj.content_type, headers=headers)


async def completed_result_key(state: ServiceState, key: str) -> str:
    """``key`` itself, unless it is an unstored ``results/<task_id>/<name>``: then the key of ``<name>`` in
    the folder of the attempt that completed the task (its task must be visible to the caller)."""
    parts = parse_result_key(key)
    if parts is None or parts.attempt is not None or await state.storage.exists(key):
        return key
    job = await state.tasks.job(parts.task_id)
    if job.status != Status.COMPLETE:
        raise NotFoundError(f"no file {key!r}: task {parts.task_id} has not completed")
    return result_key(parts.task_id, parts.name, attempt=attempt_name(job))
