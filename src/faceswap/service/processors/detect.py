"""The ``face_detect`` workflow: the faces of a target (photo, or a video's first frame) with small crops.

Faces are numbered in the task's ``face_order`` (left to right by default) among those its face filters
keep, the numbering ``mapping`` uses with the same options, so the web page can show "face 0, face 1" and
send the mapping the swap expects. With a filter each face also shows its ``traits`` (gender, age bucket,
race), and a filter that removes every face fails the task with ``no_matching_face``. Faces found inside
``extra_faces`` (boxes drawn around people the detector missed; photos only) follow the detected ones,
marked ``added``. Each face gets a JPEG crop (the box with a margin, at most
``CROP_SIDE`` pixels) stored under ``results/<task_id>/face-<n>.jpg``; a crop is itself a valid
reference photo for ``face_mode: reference``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from faceswap.errors import BadOptionError, NoFaceInTargetError, OutputError
from faceswap.imaging.sniff import SNIFF_BYTES, is_video, sniff
from faceswap.limits import check_face_room
from faceswap.service.processors.base import TaskRun
from faceswap.service.scratch import scratch_root, task_scratch

if TYPE_CHECKING:
    from faceswap.engine.types import FaceTraits

CROP_SIDE = 256
"""Longest side of a stored crop, in pixels (large enough for the detectors to find the face again)."""
CROP_MARGIN = 0.45
"""Margin added on every side of a face's box, as a fraction of the box's longer side."""
JPEG_QUALITY = 88


@dataclass(frozen=True)
class FoundFace:
    box: tuple[int, int, int, int]
    score: float
    crop: bytes
    traits: FaceTraits | None = None
    added: bool = False
    """Found inside a box drawn by hand (``extra_faces``)."""

    def listed(self) -> dict[str, Any]:
        """The face as the task's result lists it (without its crop)."""
        item: dict[str, Any] = {"box": list(self.box), "score": round(self.score, 4)}
        if self.added:
            item["added"] = True
        if self.traits is not None:
            traits = self.traits
            item["traits"] = {"gender": traits.gender, "age": list(traits.age), "race": traits.race}
        return item


def crop_box(
    box: NDArray[np.float32] | tuple[float, ...], width: int, height: int, margin: float = CROP_MARGIN
) -> tuple[int, int, int, int]:
    """A square ``(x0, y0, x1, y1)`` around ``box`` grown by ``margin``, clipped to the image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1) * (1.0 + 2.0 * margin)
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    x0, y0 = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    x3, y3 = min(width, round(cx + side / 2)), min(height, round(cy + side / 2))
    return x0, y0, max(x0 + 1, x3), max(y0 + 1, y3)


def clip_box(box: NDArray[np.float32], width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (float(v) for v in box)
    return (
        max(0, min(width, round(x1))),
        max(0, min(height, round(y1))),
        max(0, min(width, round(x2))),
        max(0, min(height, round(y2))),
    )


async def process(run: TaskRun) -> dict[str, Any]:
    wf = run.task.wf
    started = time.perf_counter()
    data = await run.read(wf.target_url)
    kind = "video" if is_video(sniff(data[:SNIFF_BYTES])) else "image"
    report = await run.in_thread("image", _detect, run, data, kind)
    faces: list[FoundFace] = report.pop("found")
    listed = []
    for index, face in enumerate(faces):
        stored = await run.outputs.store(f"face-{index}.jpg", face.crop, "image/jpeg")
        listed.append(
            {"index": index, **face.listed(), "crop_url": stored["output_url"], "file_id": stored["file_id"]}
        )
    run.progress(1.0)
    elapsed = round(time.perf_counter() - started, 3)
    return {"kind": "faces", "target_kind": kind, **report, "faces": listed, "processing_time": elapsed}


def _first_frame(data: bytes, scratch: Path, task_id: str) -> Any:
    from faceswap.video.decode import read_frames
    from faceswap.video.options import VideoOptions
    from faceswap.video.probe import probe

    with task_scratch(scratch, task_id) as folder:
        video = folder / "input.video"
        video.write_bytes(data)
        for frame in read_frames(probe(video), VideoOptions()):
            return frame.image
    raise NoFaceInTargetError("the video has no frames to look for faces in")


def _detect(run: TaskRun, data: bytes, kind: str) -> dict[str, Any]:
    import cv2

    from faceswap.engine.extra_faces import check_boxes_in_image, find_extra_faces
    from faceswap.engine.selection import Selection, candidates
    from faceswap.imaging.decode import decode_image

    wf = run.task.wf
    boxes = wf.added_boxes()
    if kind == "video":
        if boxes:
            raise BadOptionError("extra_faces (faces drawn by hand) apply to photos, not videos")
        image = _first_frame(data, scratch_root(run.worker.settings.data_dir), run.task_id)
    else:
        image = decode_image(data).bgr
    height, width = image.shape[:2]
    check_face_room(width, height, "the target")
    check_boxes_in_image(boxes, width, height)
    picking = Selection(mode="many", order=wf.face_order, filters=wf.face_filters())
    classify = picking.filters.active
    with run.worker.engine(wf.model, wf.landmarker, wf.detector_angles, classify) as engine:
        run.progress(0.2)
        detected = engine.analyser.analyse(image)
        added = find_extra_faces(engine.analyser, image, boxes)
        faces = candidates(detected, picking, added)
        engine_name = engine.name
    found = []
    for number, face in enumerate(faces):
        x0, y0, x1, y1 = crop_box(face.box, width, height)
        crop = image[y0:y1, x0:x1]
        scale = CROP_SIDE / max(crop.shape[:2])
        if scale < 1.0:
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise OutputError("a face crop could not be encoded as JPEG")
        box = clip_box(face.box, width, height)
        is_added = number >= len(faces) - len(added)
        found.append(FoundFace(box, float(face.score), encoded.tobytes(), face.traits, is_added))
    return {"engine": engine_name, "width": width, "height": height, "found": found}
