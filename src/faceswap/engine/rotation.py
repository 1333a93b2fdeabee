"""Faces lying on their side or upside down: analyse rotated copies of the frame, map the faces back.

Angles are clockwise quarter turns (0, 90, 180, 270). The analyser runs on each rotated copy; every face
found there (box, 5 key points, 68 landmarks) is mapped back to the original frame's pixels, and faces
found at several angles are merged: of two faces from different angles whose boxes overlap by more than
the IoU threshold, the one with the lower score goes (FaceFusion's thresholds: 0.3, 0.2, 0.1 for 2, 3, 4
angles). Faces found at one angle are the detector's own result and are not suppressed again.

Key points keep their meaning (left eye as seen when the face is upright), so the swap, which aligns by
a similarity transform from the 5 points, crops every face upright whatever its roll. Embeddings taken
on a rotated copy are those of the same upright crop, so they need no change.

Coordinates are pixel centres (pixel ``(i, j)`` at ``x = j, y = i``), as OpenCV's warps use them: in a
frame ``W`` wide and ``H`` high, the copy turned 90 degrees clockwise has ``(x, y) -> (H - 1 - y, x)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.extra_faces import Box, find_in_box
from faceswap.engine.geometry import transform_points
from faceswap.engine.protocols import FaceAnalyser
from faceswap.engine.types import Face, ImageBGR, Matrix
from faceswap.errors import BadOptionError

ANGLE_IOU = {1: 0.4, 2: 0.3, 3: 0.2, 4: 0.1}
"""IoU above which faces found at different angles are one face, by the number of angles."""
_ROTATE_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def check_angles(angles: Sequence[int]) -> tuple[int, ...]:
    """``angles`` without repeats, in the order given; ``bad_option`` for anything but 0/90/180/270."""
    chosen = tuple(dict.fromkeys(int(a) for a in angles))
    if not chosen or any(a not in (0, 90, 180, 270) for a in chosen):
        raise BadOptionError(f"detector angles must be some of 0, 90, 180, 270; got {list(angles)}")
    return chosen


def rotate_image(image: ImageBGR, angle: int) -> ImageBGR:
    """``image`` turned ``angle`` degrees clockwise (the image itself at 0)."""
    if angle == 0:
        return image
    return np.asarray(cv2.rotate(image, _ROTATE_CODES[angle]), dtype=np.uint8)


def rotation_matrix(angle: int, shape: tuple[int, ...]) -> Matrix:
    """The affine taking pixels of a frame of ``shape`` to its copy turned ``angle`` degrees clockwise."""
    height, width = shape[:2]
    matrices = {
        0: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        90: [[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0]],
        180: [[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0]],
        270: [[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0]],
    }
    return np.array(matrices[angle], dtype=np.float64)


def unrotation_matrix(angle: int, shape: tuple[int, ...]) -> Matrix:
    """The affine taking pixels of the copy turned ``angle`` degrees clockwise back to the frame of
    ``shape`` (the original frame's)."""
    return np.asarray(cv2.invertAffineTransform(rotation_matrix(angle, shape)), dtype=np.float64)


def map_face(face: Face, matrix: Matrix) -> Face:
    """``face`` with box (its corners' bounding box), key points and landmarks mapped by ``matrix``."""
    x1, y1, x2, y2 = (float(v) for v in face.box)
    corners = transform_points(np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32), matrix)
    box = np.concatenate([corners.min(axis=0), corners.max(axis=0)]).astype(np.float32)
    landmarks = None if face.landmarks is None else transform_points(face.landmarks, matrix)
    return replace(face, box=box, kps=transform_points(face.kps, matrix), landmarks=landmarks)


def _iou(box: NDArray[Any], others: NDArray[Any]) -> NDArray[np.float64]:
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9), np.float64)


def merge_angles(found: Sequence[Sequence[Face]], iou: float) -> list[Face]:
    """One list of faces from the faces of each angle (in frame pixels): best score first, a face dropped
    when it overlaps a kept face of another angle by more than ``iou``; sorted left to right."""
    candidates = sorted(
        ((face, angle) for angle, faces in enumerate(found) for face in faces), key=lambda c: -c[0].score
    )
    kept: list[tuple[Face, int]] = []
    for face, angle in candidates:
        others = [k for k, a in kept if a != angle]
        if others and _iou(face.box, np.stack([k.box for k in others])).max() > iou:
            continue
        kept.append((face, angle))
    return sorted((face for face, _ in kept), key=lambda face: face.center_x)


@dataclass(frozen=True)
class RotatingAnalyser:
    """An analyser that also finds faces in the frame turned by each of ``angles`` (clockwise degrees)."""

    inner: FaceAnalyser
    angles: tuple[int, ...]

    @property
    def default_reference_threshold(self) -> float:
        return self.inner.default_reference_threshold

    def analyse(self, image: ImageBGR) -> list[Face]:
        return self.analyse_batch([image])[0]

    def analyse_box(self, image: ImageBGR, box: Box) -> Face:
        """The inner analyser's face inside ``box``: a face drawn by hand is looked for upright only."""
        return find_in_box(self.inner, image, box)

    def analyse_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        """Faces of every image: the inner analyser once over every rotated copy of every image (batched
        when it batches), the faces mapped back and merged per image."""
        copies = [rotate_image(image, angle) for angle in self.angles for image in images]
        batch = getattr(self.inner, "analyse_batch", None)
        found: list[list[Face]] = batch(copies) if batch else [self.inner.analyse(c) for c in copies]
        iou = ANGLE_IOU[min(len(self.angles), 4)]
        results = []
        for index, image in enumerate(images):
            per_angle = [
                [
                    map_face(face, unrotation_matrix(angle, image.shape))
                    for face in found[a * len(images) + index]
                ]
                for a, angle in enumerate(self.angles)
            ]
            results.append(merge_angles(per_angle, iou))
        return results
