"""``POST /api/faces/detect``: the faces of a target, as boxes and small crops (for mapping and reference).

Detection needs the engine, so it runs as a quick ``face_detect`` task on the queue (the API process
loads no models) and the route waits for it like ``/api/face-swap/process`` does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from faceswap.choices import EngineName
from faceswap.service.api.envelope import ok
from faceswap.service.api.routes.face_swap import wait_completed
from faceswap.service.api.routes.tasks import absolute, create_task
from faceswap.service.api.state import ServiceState, get_state
from faceswap.service.tasks.model import FaceSelection, TaskCreate

router = APIRouter(prefix="/api/faces", tags=["faces"])
State = Annotated[ServiceState, Depends(get_state)]


class DetectBody(FaceSelection):
    target_url: str = Field(min_length=1, description="file id, stored key, http(s) or data: URL")
    model: EngineName | None = Field(default=None, description="engine whose detector is used")
    timeout: float | None = Field(default=None, gt=0, le=600, description="seconds to wait; default 120")

    def task(self) -> TaskCreate:
        wanted = {"target_url", "model", "face_order", "face_gender", "face_age", "face_race", "extra_faces"}
        wf = self.model_dump(include=wanted, exclude_none=True)
        return TaskCreate.model_validate(
            {"workflow": "face_detect", "params": {"input_data": {"wf_json": wf}}}
        )


def absolute_url(request: Request, url: str) -> str:
    return str(request.base_url).rstrip("/") + url if url.startswith("/") else url


@router.post("/detect", summary="Faces of a photo (or a video's first frame), numbered, with crops")
async def detect(request: Request, state: State, body: DetectBody) -> dict[str, Any]:
    """``faces[i]``: ``index`` (the number ``mapping`` uses with the same ``face_order`` and filters),
    ``box`` [x1, y1, x2, y2] in pixels, ``score``, ``crop_url`` and ``file_id`` of a JPEG crop (usable as
    a ``reference_url``), with a face filter ``traits`` (gender, age bucket, race), and ``added: true`` for
    a face found inside one of ``extra_faces`` (numbered after the detected faces)."""
    task = await create_task(state, body.task(), None)
    done = await wait_completed(state, task.task_id, body.timeout)
    result = dict(absolute(request, done)["result"])
    result["faces"] = [{**f, "crop_url": absolute_url(request, f["crop_url"])} for f in result["faces"]]
    return ok({"task_id": done.task_id, **result})
