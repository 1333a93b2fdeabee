"""Following faces from frame to frame: box overlap matching and key-point smoothing (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from faceswap.engine.types import Face


def box_iou(a: Face, b: Face) -> float:
    ax1, ay1, ax2, ay2 = (float(v) for v in a.box)
    bx1, by1, bx2, by2 = (float(v) for v in b.box)
    width = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    height = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = width * height
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def match_previous(face: Face, previous: Sequence[Face], min_iou: float = 0.3) -> Face | None:
    """The face of the previous frame that overlaps ``face`` most, if it overlaps enough."""
    best = max(previous, key=lambda p: box_iou(face, p), default=None)
    if best is None or box_iou(face, best) < min_iou:
        return None
    return best


def smooth_face(face: Face, previous: Face | None, strength: float) -> Face:
    """``face`` with key points and landmarks pulled towards the previous frame's (exponential smoothing).

    ``strength`` 0 keeps the detection as it is; 0.5 averages it with the smoothed previous points. The pull
    fades out when the face moved far (more than a tenth of its size), so real motion is not lagged.
    """
    if previous is None or strength <= 0.0:
        return face
    size = max(1.0, float(np.sqrt(face.area)))
    shift = float(np.linalg.norm(face.kps.mean(axis=0) - previous.kps.mean(axis=0)))
    weight = strength * max(0.0, 1.0 - shift / (0.1 * size))
    if weight <= 0.0:
        return face
    kps = ((1.0 - weight) * face.kps + weight * previous.kps).astype(np.float32)
    landmarks = face.landmarks
    if (
        landmarks is not None
        and previous.landmarks is not None
        and previous.landmarks.shape == landmarks.shape
    ):
        landmarks = ((1.0 - weight) * landmarks + weight * previous.landmarks).astype(np.float32)
    return replace(face, kps=kps, landmarks=landmarks)


def smooth_faces(faces: Sequence[Face], previous: Sequence[Face], strength: float) -> list[Face]:
    return [smooth_face(face, match_previous(face, previous), strength) for face in faces]
