"""``POST /api/preview``: one frame swapped with a face swap's options, answered within the request.

Design: the API process loads no engine and never imports OpenCV or PyAV, so the swap runs on a worker.
The route queues a hidden ``face_preview`` task (:mod:`faceswap.service.processors.preview`: one
attempt, never listed, deleted ``PREVIEW_TTL_S`` after it ends) and waits for it up to
``service.preview_timeout_s``. Its result holds the swapped frame as an inline JPEG, so no file is stored;
the answer carries it as a ``data:image/jpeg;base64`` URL the web page puts straight into an ``<img>``,
with a small report (faces found and swapped, engine, models, sizes, time). Past the timeout the task is
cancelled (a queued one never starts, a running one stops) and the answer is 504 ``timeout``; a failed
task answers with its error (``model_missing`` 503, ``no_face_in_source`` 422, ``bad_option`` 422 for a
frame past the end ...). The request is rate-limited as every ``/api/*`` request of an API key is.
"""

from __future__ import annotations

import base64
import binascii
import contextlib

from fastapi import APIRouter
from pydantic import BaseModel

from faceswap.errors import ConflictError, NotFoundError, OutputError, TaskTimeoutError
from faceswap.imaging.sniff import SNIFF_BYTES, sniff
from faceswap.service.api.deps import State
from faceswap.service.api.envelope import Envelope, ErrorEnvelope
from faceswap.service.api.routes.face_swap import wait_completed
from faceswap.service.api.routes.tasks import create_task, result_as
from faceswap.service.tasks.model import Task
from faceswap.service.tasks.preview import PreviewOptions

router = APIRouter(prefix="/api", tags=["preview"])


class PreviewReport(BaseModel):
    task_id: str
    image: str
    """``data:image/jpeg;base64,...``: the swapped frame."""
    content_type: str
    target_kind: str
    width: int
    height: int
    target_width: int
    target_height: int
    downscaled: bool
    frame: int | None
    time_s: float | None
    engine: str
    models: list[str]
    enhancer: str | None
    faces_found: int
    faces_swapped: int
    processing_time: float


@router.post(
    "/preview",
    summary="Swap one frame (a photo, or frame N / second S of a video) and answer it at once",
    responses={
        504: {"model": ErrorEnvelope, "description": "not done within the preview timeout: `timeout`"}
    },
)
async def preview(state: State, body: PreviewOptions) -> Envelope[PreviewReport]:
    """The body is a face swap's ``wf_json`` (``source_url`` or ``source_urls`` + ``mapping``,
    ``target_url``, ``face_mode``, ``reference_url``, ``model``, ``enhancer`` ...) plus ``frame`` or
    ``time_s`` for a video target. The frame is downscaled to at most 1280 px on its longer side before
    it is swapped; ``data.image`` is the swapped frame as a ``data:image/jpeg;base64`` URL."""
    task = await create_task(state, body.task(), None, preview=True)
    timeout = state.settings.service.preview_timeout_s
    try:
        done = await wait_completed(state, task.task_id, timeout)
    except TaskTimeoutError:
        with contextlib.suppress(ConflictError, NotFoundError):  # it finished (or expired) meanwhile
            await state.tasks.cancel(task.task_id)
        raise TaskTimeoutError(
            f"the preview was not ready within {timeout:g} s (service.preview_timeout_s); it was stopped."
            " The workers may be busy: try again"
        ) from None
    return Envelope(data=report(done))


def report(done: Task) -> PreviewReport:
    """The answer's ``data``: the result with its JPEG as a ``data:`` URL, checked to be a JPEG (a remote
    worker's result is not trusted to hold what it says)."""
    result = dict(done.result or {})
    try:
        encoded = str(result.pop("image_base64"))
        jpeg = base64.b64decode(encoded, validate=True)
    except (KeyError, binascii.Error) as exc:
        raise OutputError("the preview's worker returned no image") from exc
    if sniff(jpeg[:SNIFF_BYTES]) != "jpeg":
        raise OutputError("the preview's worker returned something other than a JPEG")
    result.pop("kind", None)
    image = f"data:image/jpeg;base64,{encoded}"
    return result_as(PreviewReport, {"task_id": done.task_id, **result, "image": image})
