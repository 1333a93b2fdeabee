"""``POST /api/upload`` and ``GET /api/download/{file_id}``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import StreamingResponse

from faceswap.errors import NotFoundError
from faceswap.service.api.envelope import ok
from faceswap.service.api.inputs import store_file
from faceswap.service.api.state import ServiceState, get_state
from faceswap.service.worker.inputs import stored_key

router = APIRouter(prefix="/api", tags=["files"])
State = Annotated[ServiceState, Depends(get_state)]


@router.post("/upload", summary="Upload an image or video; returns its file_id")
async def upload(state: State, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Images jpg/jpeg/png/webp/gif/bmp, videos mp4/mov/avi/webm/mkv, told by content."""
    stored = await store_file(state.storage, file, state.limits)
    return ok(stored.dump())


@router.get(
    "/download/{file_id:path}",
    summary="Download an upload or a result",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download(state: State, file_id: str) -> StreamingResponse:
    """``file_id`` is an upload's id or a stored key such as ``results/<task_id>/output.png``."""
    key = await stored_key(state.storage, file_id)
    if key is None:
        raise NotFoundError(f"no file {file_id!r}")
    obj = await state.storage.stat(key)
    stream = state.storage.stream(key)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in stream:
            yield chunk

    headers = {
        "Content-Length": str(obj.size),
        "Content-Disposition": f'inline; filename="{obj.name}"',
        "Cache-Control": "private, max-age=3600",
    }
    if obj.etag:
        headers["ETag"] = f'"{obj.etag}"'
    return StreamingResponse(body(), media_type=obj.content_type, headers=headers)
