"""Faces added by hand: a box drawn around a person the detector missed (pure functions).

A box is ``(x1, y1, x2, y2)`` in the target's pixels. It must lie inside the image and be at least
:data:`MIN_BOX_SIDE` pixels wide and high (:func:`check_boxes`, :func:`check_boxes_in_image`). The engine
finds the face inside it (``analyse_box`` of :class:`BoxAnalyser`): the detector runs on the box grown
by :data:`SEARCH_MARGIN` (:func:`search_region`) with a lower score threshold, and the best face whose
centre lies inside the box is taken (:func:`best_inside`). When there is none, the 5 key points are
estimated from the box itself (:func:`kps_from_box`): the ``arcface_112_v2`` alignment template placed
where a detector's face box lies in it. Faces added this way are numbered after the detected ones, in the
order their boxes were given (:func:`faceswap.engine.selection.candidates`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from faceswap.engine.types import Face, ImageBGR, Points
from faceswap.errors import BadOptionError

if TYPE_CHECKING:  # the engine's protocols load OpenCV; boxes are also checked where it is not installed
    from faceswap.engine.protocols import FaceAnalyser

Box = tuple[float, float, float, float]
"""``(x1, y1, x2, y2)`` in image pixels."""

MIN_BOX_SIDE = 16
"""Fewest pixels an added face's box may have on each side (the smallest face a detector finds)."""
MAX_BOXES = 32
"""Most faces one task may add by hand."""
SEARCH_MARGIN = 0.5
"""The detector looks for the face in the box grown by this share of its longer side on every side, so a
loosely drawn box still holds the whole face."""
FACE_BOX_IN_TEMPLATE = (0.152, 0.176, 0.849, 1.137)
"""Where a face's box lies in the ``arcface_112_v2`` template's unit square (x1, y1, x2, y2): fitted on the
boxes and key points of the two shared photos (:mod:`faceswap.testing.photos`), to within 0.03 of the
box's side. The box reaches below the template's square: the chin lies under the crop's lower edge."""
_BOX_TEXT = re.compile(r"^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*$")


class BoxAnalyser(Protocol):
    """What a :class:`~faceswap.engine.protocols.FaceAnalyser` has when it can also find the one face
    inside a box drawn by hand (the classic and neural analysers, and the wrappers around them)."""

    def analyse_box(self, image: ImageBGR, box: Box) -> Face:
        """The face inside ``box`` of ``image`` (a checked box): the best the detector finds there with a
        lower threshold, or a face whose key points are estimated from the box."""
        ...


def parse_box(text: str) -> Box:
    """``"x1,y1,x2,y2"`` as a box (``--add-face``); ``bad_option`` when it is not four numbers."""
    match = _BOX_TEXT.match(text)
    if match is None:
        raise BadOptionError(f"a face box is x1,y1,x2,y2 in pixels, such as 40,60,140,180; got {text!r}")
    try:
        x1, y1, x2, y2 = (float(match.group(i)) for i in range(1, 5))
    except ValueError:
        raise BadOptionError(f"a face box is four numbers x1,y1,x2,y2; got {text!r}") from None
    return x1, y1, x2, y2


def check_boxes(boxes: Sequence[Sequence[float]]) -> tuple[Box, ...]:
    """The boxes as tuples; ``bad_option`` for more than :data:`MAX_BOXES`, a box that is not four finite
    numbers, a negative corner, or a side under :data:`MIN_BOX_SIDE` (``x2 - x1`` and ``y2 - y1``)."""
    if len(boxes) > MAX_BOXES:
        raise BadOptionError(f"at most {MAX_BOXES} faces may be added by hand; got {len(boxes)}")
    checked: list[Box] = []
    for number, box in enumerate(boxes):
        values = [float(v) for v in box]
        if len(values) != 4 or not all(np.isfinite(values)):
            raise BadOptionError(f"added face {number}: a box is four numbers x1, y1, x2, y2; got {box!r}")
        x1, y1, x2, y2 = values
        if min(x1, y1) < 0:
            raise BadOptionError(f"added face {number}: the box {_text(values)} starts outside the image")
        if x2 - x1 < MIN_BOX_SIDE or y2 - y1 < MIN_BOX_SIDE:
            raise BadOptionError(
                f"added face {number}: the box {_text(values)} must be at least {MIN_BOX_SIDE} pixels "
                "wide and high (x1 < x2, y1 < y2)"
            )
        checked.append((x1, y1, x2, y2))
    return tuple(checked)


def check_boxes_in_image(boxes: Sequence[Sequence[float]], width: int, height: int) -> tuple[Box, ...]:
    """:func:`check_boxes`, and ``bad_option`` for a box reaching past the image's ``width`` x ``height``."""
    checked = check_boxes(boxes)
    for number, (x1, y1, x2, y2) in enumerate(checked):
        if x2 > width or y2 > height:
            raise BadOptionError(
                f"added face {number}: the box {_text((x1, y1, x2, y2))} reaches outside the "
                f"{width}x{height} image"
            )
    return checked


def scale_boxes(boxes: Sequence[Box], factor: float, width: int, height: int) -> tuple[Box, ...]:
    """The boxes of an image resized by ``factor`` to ``width`` x ``height``: scaled, kept inside it and
    grown about their centre to :data:`MIN_BOX_SIDE` where the resize made them smaller (the image must
    be at least that large)."""
    scaled = []
    for box in boxes:
        x1, x2 = _span(box[0] * factor, box[2] * factor, width)
        y1, y2 = _span(box[1] * factor, box[3] * factor, height)
        scaled.append((x1, y1, x2, y2))
    return tuple(scaled)


def _span(start: float, end: float, limit: int) -> tuple[float, float]:
    """``[start, end]`` inside ``[0, limit]``, at least :data:`MIN_BOX_SIDE` long."""
    side = max(end - start, float(MIN_BOX_SIDE))
    centre = (start + end) / 2.0
    low = min(max(0.0, centre - side / 2.0), max(0.0, limit - side))
    return low, min(float(limit), low + side)


def search_region(
    box: Box, width: int, height: int, margin: float = SEARCH_MARGIN
) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: ``box`` grown by ``margin`` of its longer side on every side, in whole pixels,
    clipped to the ``width`` x ``height`` image."""
    x1, y1, x2, y2 = box
    grow = margin * max(x2 - x1, y2 - y1)
    x0, y0 = max(0, int(np.floor(x1 - grow))), max(0, int(np.floor(y1 - grow)))
    x3, y3 = min(width, int(np.ceil(x2 + grow))), min(height, int(np.ceil(y2 + grow)))
    return x0, y0, max(x0 + 1, x3), max(y0 + 1, y3)


def inside(face: Face, box: Box) -> bool:
    """Whether the centre of ``face``'s box lies inside ``box``."""
    x1, y1, x2, y2 = box
    return x1 <= face.center_x <= x2 and y1 <= face.center_y <= y2


def best_inside(faces: Sequence[Face], box: Box) -> Face | None:
    """The face of highest score among ``faces`` whose centre lies inside ``box`` (None: none does)."""
    found = [face for face in faces if inside(face, box)]
    return max(found, key=lambda face: face.score) if found else None


def kps_from_box(box: Box) -> Points:
    """The 5 key points of a face whose box is ``box``, from the ``arcface_112_v2`` template placed as
    :data:`FACE_BOX_IN_TEMPLATE` says (the fallback when no face is found inside a drawn box)."""
    from faceswap.engine.geometry import TEMPLATES  # OpenCV: not loaded where boxes are only checked

    x1, y1, x2, y2 = box
    tx1, ty1, tx2, ty2 = FACE_BOX_IN_TEMPLATE
    origin, span = np.array([tx1, ty1], np.float32), np.array([tx2 - tx1, ty2 - ty1], np.float32)
    unit = (TEMPLATES["arcface_112_v2"] - origin) / span
    size, corner = np.array([x2 - x1, y2 - y1], np.float32), np.array([x1, y1], np.float32)
    return np.asarray(unit * size + corner, dtype=np.float32)


def template_face(box: Box) -> Face:
    """A face at ``box`` with key points from :func:`kps_from_box`, score 0 and no embedding."""
    return Face(box=np.array(box, dtype=np.float32), kps=kps_from_box(box), score=0.0)


def find_extra_faces(analyser: FaceAnalyser, image: ImageBGR, boxes: Sequence[Box]) -> list[Face]:
    """The face inside each box (checked against ``image``'s size first), in the boxes' order."""
    height, width = image.shape[:2]
    return [find_in_box(analyser, image, box) for box in check_boxes_in_image(boxes, width, height)]


def find_in_box(analyser: FaceAnalyser, image: ImageBGR, box: Box) -> Face:
    """The face inside ``box``: ``analyser.analyse_box`` when it has one (:class:`BoxAnalyser`), else
    its ``analyse`` on the search region (at its own thresholds) or, finding none there, the template
    face."""
    finder = getattr(analyser, "analyse_box", None)
    if finder is not None:
        face: Face = finder(image, box)
        return face
    height, width = image.shape[:2]
    x0, y0, x1, y1 = search_region(box, width, height)
    shifted = [
        shift_face(face, x0, y0) for face in analyser.analyse(np.ascontiguousarray(image[y0:y1, x0:x1]))
    ]
    return best_inside(shifted, box) or template_face(box)


def shift_face(face: Face, dx: float, dy: float, scale: float = 1.0) -> Face:
    """``face`` found in a crop that starts at ``(dx, dy)`` of the image and was resized by ``scale``,
    in the image's pixels."""
    offset, factor = np.array([dx, dy], np.float32), np.float32(1.0 / scale)
    box = (face.box.reshape(2, 2) * factor + offset).reshape(4).astype(np.float32)
    landmarks = None if face.landmarks is None else (face.landmarks * factor + offset).astype(np.float32)
    return replace(face, box=box, kps=(face.kps * factor + offset).astype(np.float32), landmarks=landmarks)


def _text(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"
