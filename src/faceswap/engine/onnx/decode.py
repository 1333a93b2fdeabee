"""Pure decoding of detector outputs: SCRFD/RetinaFace anchors, YuNet grid, non-maximum suppression."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.onnx.signature import SCRFD_STRIDES, YUNET_STRIDES
from faceswap.engine.types import Face
from faceswap.errors import ModelSignatureError

Array = NDArray[np.float32]


@dataclass(frozen=True)
class Detections:
    """Candidate faces in detector-input pixels: ``boxes`` Nx4 (x1, y1, x2, y2), ``kps`` Nx5x2, ``scores`` N."""

    boxes: Array
    kps: Array
    scores: Array

    @staticmethod
    def empty() -> Detections:
        return Detections(
            np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32), np.zeros((0,), np.float32)
        )

    def take(self, keep: NDArray[Any]) -> Detections:
        return Detections(self.boxes[keep], self.kps[keep], self.scores[keep])

    @staticmethod
    def concatenate(parts: Sequence[Detections]) -> Detections:
        if not parts:
            return Detections.empty()
        return Detections(
            np.concatenate([p.boxes for p in parts]).astype(np.float32),
            np.concatenate([p.kps for p in parts]).astype(np.float32),
            np.concatenate([p.scores for p in parts]).astype(np.float32),
        )


def grid_points(rows: int, cols: int) -> Array:
    """``(rows*cols)x2`` cell indices (x, y), row-major: the order detector outputs use."""
    ys, xs = np.mgrid[:rows, :cols]
    return np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32)


def anchor_centers(rows: int, cols: int, stride: int, anchors: int) -> Array:
    """SCRFD anchor centres in pixels: each cell's top-left corner, repeated once per anchor."""
    return np.repeat(grid_points(rows, cols) * np.float32(stride), anchors, axis=0)


def distance_to_box(centers: Array, distances: Array) -> Array:
    """Boxes from (left, top, right, bottom) distances to the anchor centres."""
    return np.concatenate([centers - distances[:, 0:2], centers + distances[:, 2:4]], axis=1).astype(
        np.float32
    )


def distance_to_kps(centers: Array, distances: Array) -> Array:
    """Nx5x2 key points from (dx, dy) offsets to the anchor centres."""
    return (distances.reshape(-1, 5, 2) + centers[:, None, :]).astype(np.float32)


def split_batch(outputs: Sequence[NDArray[Any]], count: int) -> list[list[NDArray[Any]]]:
    """Per-item outputs of a forward pass over ``count`` stacked inputs.

    Outputs either carry a leading batch axis (``Nx...``, batched exports) or are flattened batch-major
    (``(N*A)xK``, as det_10g's ``Ax1`` outputs become for N inputs); both split into ``count`` equal
    parts along the first axis, which the single-item decoders read like a batch of one.
    """
    parts: list[list[NDArray[Any]]] = [[] for _ in range(count)]
    for output in outputs:
        array = np.asarray(output)
        if array.shape[0] % count:
            raise ModelSignatureError(f"an output of shape {array.shape} cannot be split into {count} items")
        for index, item in enumerate(np.split(array, count, axis=0)):
            parts[index].append(item)
    return parts


def decode_scrfd(
    outputs: Sequence[NDArray[Any]], input_size: tuple[int, int], score_threshold: float
) -> Detections:
    """Candidates from SCRFD's 9 outputs (scores, boxes, key points for strides 8/16/32).

    Distances are in units of the stride; a leading batch axis of 1 (batched exports) is accepted.
    """
    width, height = input_size
    count = len(SCRFD_STRIDES)
    parts = []
    for index, stride in enumerate(SCRFD_STRIDES):
        scores = np.asarray(outputs[index], np.float32).reshape(-1)
        keep = np.flatnonzero(scores >= score_threshold)
        if keep.size == 0:
            continue
        rows, cols = height // stride, width // stride
        anchors = max(1, scores.size // (rows * cols))
        centers = anchor_centers(rows, cols, stride, anchors)[keep]
        boxes = np.asarray(outputs[index + count], np.float32).reshape(-1, 4)[keep] * stride
        kps = np.asarray(outputs[index + 2 * count], np.float32).reshape(-1, 10)[keep] * stride
        parts.append(Detections(distance_to_box(centers, boxes), distance_to_kps(centers, kps), scores[keep]))
    return Detections.concatenate(parts)


def decode_yunet(
    outputs: Mapping[str, NDArray[Any]], input_size: tuple[int, int], score_threshold: float
) -> Detections:
    """Candidates from YuNet 2023mar's ``cls_*``, ``obj_*``, ``bbox_*``, ``kps_*`` outputs.

    As OpenCV's FaceDetectorYN: score = sqrt(clip(cls) * clip(obj)); the box centre is (cell + offset) *
    stride, its size exp(log-size) * stride; key points are (cell + offset) * stride.
    """
    width, height = input_size
    parts = []
    for stride in YUNET_STRIDES:
        cls = np.clip(np.asarray(outputs[f"cls_{stride}"], np.float32).reshape(-1), 0.0, 1.0)
        obj = np.clip(np.asarray(outputs[f"obj_{stride}"], np.float32).reshape(-1), 0.0, 1.0)
        scores = np.sqrt(cls * obj)
        keep = np.flatnonzero(scores >= score_threshold)
        if keep.size == 0:
            continue
        cells = grid_points(height // stride, width // stride)[keep]
        bbox = np.asarray(outputs[f"bbox_{stride}"], np.float32).reshape(-1, 4)[keep]
        kps = np.asarray(outputs[f"kps_{stride}"], np.float32).reshape(-1, 10)[keep]
        centers = (cells + bbox[:, 0:2]) * stride
        sizes = np.exp(bbox[:, 2:4]) * stride
        boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], axis=1)
        points = (kps.reshape(-1, 5, 2) + cells[:, None, :]) * stride
        parts.append(Detections(boxes.astype(np.float32), points.astype(np.float32), scores[keep]))
    return Detections.concatenate(parts)


def suppress(detections: Detections, iou_threshold: float) -> Detections:
    """Non-maximum suppression (OpenCV's ``NMSBoxes``); the kept candidates, best score first."""
    if len(detections.scores) == 0:
        return detections
    xywh = np.concatenate(
        [detections.boxes[:, :2], detections.boxes[:, 2:] - detections.boxes[:, :2]], axis=1
    )
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), detections.scores.tolist(), 0.0, iou_threshold)
    return detections.take(np.asarray(keep, dtype=np.int64).reshape(-1))


def to_faces(detections: Detections, scale: float) -> list[Face]:
    """Faces in image pixels (detector pixels divided by the letterbox ``scale``), sorted left to right."""
    faces = [
        Face(
            box=(detections.boxes[i] / np.float32(scale)).astype(np.float32),
            kps=(detections.kps[i] / np.float32(scale)).astype(np.float32),
            score=float(detections.scores[i]),
        )
        for i in range(len(detections.scores))
    ]
    return sorted(faces, key=lambda face: face.center_x)
