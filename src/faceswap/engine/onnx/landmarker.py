"""68-point landmarks: 2dfan4 refines the detector's 5 key points; fan_68_5 lifts 5 points to 68.

2dfan4 (``input`` 1x3x256x256) sees the face's box cropped so that the box's larger side is 195 px,
centred in the 256 px crop, fed BGR ``x/255`` (FaceFusion feeds it so, and the model's author trained it
on ``cv2.imread`` images, i.e. BGR). Its first output holds 68 (x, y, _) in 64-px heatmap space (times 4
is crop pixels), its second the 68 heatmaps; the landmark score is the mean of the heatmaps' maxima,
mapped from [0, 0.9] to [0, 1]. When the score is at least the threshold (0.5), the 5 alignment points
become the eye centres (mean of points 36-41 and 42-47), the nose tip (30) and the mouth corners (48,
54), in frame pixels; otherwise the detector's points stay and the 68 points come from fan_68_5.

fan_68_5 (``input`` 1x5x2 -> 1x68x2) takes the 5 points normalised through the ``ffhq_512`` template
(the similarity that takes them onto the unit template) and answers in that space; the 68 points are
mapped back with the inverse transform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import estimate_matrix, invert_matrix, transform_points
from faceswap.engine.landmarks68 import five_from_68
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.onnx.signature import FAN_68_5_INPUT, FAN_HEATMAP_SIZE, FAN_INPUT, FAN_SIZE
from faceswap.engine.types import Face, ImageBGR, Matrix, Points

FAN_REFERENCE_SIDE = 195.0
"""Pixels the box's larger side spans in the 256 px crop (FAN's reference scale)."""
LANDMARK_THRESHOLD = 0.5
SCORE_CEILING = 0.9
"""Mean heatmap maximum mapped to a score of 1."""


def fan_crop_matrix(box: NDArray[Any]) -> Matrix:
    """The affine taking frame pixels to the 256 px crop: box centre to the crop's centre, its larger side
    to 195 px."""
    x1, y1, x2, y2 = (float(v) for v in box)
    scale = FAN_REFERENCE_SIDE / max(x2 - x1, y2 - y1, 1e-6)
    centre = FAN_SIZE / 2.0
    return np.array(
        [[scale, 0.0, centre - scale * (x1 + x2) / 2.0], [0.0, scale, centre - scale * (y1 + y2) / 2.0]]
    )


def prepare_fan_crops(image: ImageBGR, faces: Sequence[Face]) -> tuple[NDArray[np.float32], list[Matrix]]:
    """Nx3x256x256 crops (BGR, ``x/255``) of the faces' boxes and their frame-to-crop matrices."""
    matrices = [fan_crop_matrix(face.box) for face in faces]
    crops = [
        cv2.warpAffine(image, matrix, (FAN_SIZE, FAN_SIZE), flags=cv2.INTER_LINEAR) for matrix in matrices
    ]
    if not crops:
        return np.zeros((0, 3, FAN_SIZE, FAN_SIZE), np.float32), []
    batch = np.stack(crops).astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2)), matrices


def landmark_score(heatmaps: NDArray[Any]) -> float:
    """Mean over the points of each heatmap's maximum, mapped from [0, 0.9] to [0, 1]."""
    peaks = np.asarray(heatmaps, np.float32).reshape(heatmaps.shape[0], -1).max(axis=1)
    return float(np.clip(peaks.mean() / SCORE_CEILING, 0.0, 1.0))


def normalize_fan_landmarks(points: NDArray[Any], matrix: Matrix) -> Points:
    """68 (x, y) in 64-px heatmap space to frame pixels: times 4 to the crop, then the inverse crop map."""
    crop = np.asarray(points, np.float32)[:, :2] * np.float32(FAN_SIZE / FAN_HEATMAP_SIZE)
    return transform_points(crop, invert_matrix(matrix))


def _run_items(model: ModelSession, name: str, batch: NDArray[np.float32]) -> list[NDArray[Any]]:
    """Every output for a batch: one call when the batch dim is dynamic, else one call per item."""
    if model.batch_dynamic or len(batch) == 1:
        return model.run({name: batch})
    parts = [model.run({name: batch[i : i + 1]}) for i in range(len(batch))]
    return [np.concatenate([part[k] for part in parts], axis=0) for k in range(len(parts[0]))]


@dataclass(frozen=True)
class Fan68From5:
    """fan_68_5: 68 landmarks from 5 key points."""

    model: ModelSession

    def lift(self, kps: Sequence[Points]) -> list[Points]:
        """68 points in frame pixels for each set of 5."""
        if not kps:
            return []
        matrices = [estimate_matrix(points, "ffhq_512", 1) for points in kps]
        normalised = np.stack([transform_points(p, m) for p, m in zip(kps, matrices, strict=True)])
        lifted = _run_items(self.model, FAN_68_5_INPUT, normalised.astype(np.float32))[0]
        return [
            transform_points(points, invert_matrix(matrix))
            for points, matrix in zip(np.asarray(lifted, np.float32), matrices, strict=True)
        ]


@dataclass(frozen=True)
class FanLandmarker:
    """2dfan4 with fan_68_5 behind it: every face comes back with 68 landmarks and a landmark score."""

    model: ModelSession
    lifter: Fan68From5
    threshold: float = LANDMARK_THRESHOLD

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model.name, self.lifter.model.name)

    def forward_landmarks(self, crops: NDArray[np.float32]) -> tuple[NDArray[Any], NDArray[Any]]:
        """2dfan4's landmarks (Nx68x3) and heatmaps (Nx68x64x64) for prepared crops."""
        landmarks, heatmaps = _run_items(self.model, FAN_INPUT, crops)[:2]
        return landmarks, heatmaps

    def refine(self, image: ImageBGR, faces: Sequence[Face]) -> list[Face]:
        """``faces`` with 68 landmarks and, where 2dfan4's score reaches the threshold, the 5 key points
        taken from them."""
        if not faces:
            return []
        crops, matrices = prepare_fan_crops(image, faces)
        landmarks, heatmaps = self.forward_landmarks(crops)
        scores = [landmark_score(maps) for maps in heatmaps]
        unsure = [index for index, score in enumerate(scores) if score < self.threshold]
        lifted = dict(zip(unsure, self.lifter.lift([faces[i].kps for i in unsure]), strict=True))
        refined = []
        for index, face in enumerate(faces):
            if index in lifted:
                refined.append(replace(face, landmarks=lifted[index], landmark_score=scores[index]))
                continue
            points = normalize_fan_landmarks(landmarks[index], matrices[index])
            refined.append(
                replace(face, kps=five_from_68(points), landmarks=points, landmark_score=scores[index])
            )
        return refined

    def refine_batch(self, images: Sequence[ImageBGR], faces: Sequence[Sequence[Face]]) -> list[list[Face]]:
        """``refine`` of every image's faces."""
        return [self.refine(image, found) for image, found in zip(images, faces, strict=True)]
