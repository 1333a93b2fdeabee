"""``POST /api/faces/detect``: the faces of a target, as boxes and small crops (for mapping and reference).

Detection needs the engine, so it runs as a quick ``face_detect`` task on the queue (the API process
loads no models) and the route waits for it like ``/api/face-swap/process`` does.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from faceswap.choices import EngineName, FaceGender, FaceRace
from faceswap.service.api.deps import State
from faceswap.service.api.envelope import Envelope, Sparse
from faceswap.service.api.routes.face_swap import wait_completed
from faceswap.service.api.routes.tasks import absolute_url, create_task, result_as
from faceswap.service.tasks.model import FaceSelection, TaskCreate

router = APIRouter(prefix="/api/faces", tags=["faces"])


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


class FaceTraits(BaseModel):
    gender: FaceGender
    age: list[int] = Field(description="the age bucket: its first and last year")
    race: FaceRace


class FoundFace(Sparse):
    index: int = Field(description="the face's number, as `mapping` uses it with the same options")
    box: list[int] = Field(description="[x1, y1, x2, y2] in pixels")
    score: float
    added: bool | None = Field(default=None, description="true for a face found inside one of `extra_faces`")
    traits: FaceTraits | None = Field(default=None, description="what the face filters read (with a filter)")
    crop_url: str = Field(description="a JPEG crop of the face (usable as a `reference_url`)")
    file_id: str


class DetectedFaces(BaseModel):
    task_id: str
    kind: Literal["faces"] = "faces"
    target_kind: Literal["image", "video"]
    engine: str
    width: int
    height: int
    faces: list[FoundFace]
    processing_time: float


@router.post("/detect", summary="Faces of a photo (or a video's first frame), numbered, with crops")
async def detect(request: Request, state: State, body: DetectBody) -> Envelope[DetectedFaces]:
    """``faces[i]``: ``index`` (the number ``mapping`` uses with the same ``face_order`` and filters),
    ``box`` [x1, y1, x2, y2] in pixels, ``score``, ``crop_url`` and ``file_id`` of a JPEG crop (usable as
    a ``reference_url``), with a face filter ``traits`` (gender, age bucket, race), and ``added: true`` for
    a face found inside one of ``extra_faces`` (numbered after the detected faces)."""
    task = await create_task(state, body.task(), None)
    done = await wait_completed(state, task.task_id, body.timeout)
    result = dict(done.result or {})
    result["faces"] = [{**f, "crop_url": absolute_url(request, f["crop_url"])} for f in result["faces"]]
    return Envelope(data=result_as(DetectedFaces, {"task_id": done.task_id, **result}))
