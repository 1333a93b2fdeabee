"""Face detectors on ONNX Runtime: SCRFD / RetinaFace (InsightFace) and YuNet (OpenCV Zoo)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import letterbox
from faceswap.engine.onnx.decode import decode_scrfd, decode_yunet, split_batch, suppress, to_faces
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.types import Face, ImageBGR

DEFAULT_INPUT_SIZE = (640, 640)
SCRFD_SCORE = 0.5
SCRFD_IOU = 0.4
YUNET_SCORE = 0.6
"""OpenCV Zoo's demo uses 0.9; 0.6 keeps profile and small faces the swap pipeline still handles."""
YUNET_IOU = 0.3
"""OpenCV Zoo's YuNet default."""


class FaceDetector(Protocol):
    def detect(self, image: ImageBGR) -> list[Face]:
        """Faces (box, 5 key points, score; no embedding) sorted left to right."""
        ...

    def detect_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        """``detect`` of every image, with one model call for all of them when the batch is dynamic."""
        ...


def detector_input_size(model: ModelSession) -> tuple[int, int]:
    """(width, height) the model declares, or 640x640 where its spatial dims are dynamic."""
    shape = model.input_shape()
    height, width = shape[2], shape[3]
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return DEFAULT_INPUT_SIZE


def prepare_scrfd_frames(
    images: Sequence[ImageBGR], size: tuple[int, int]
) -> tuple[NDArray[np.float32], list[float]]:
    """The Nx3xHxW SCRFD input (each letterboxed top-left, BGR, ``(x-127.5)/128``) and the scales.

    Letterboxing brings every image to the detector's size, so frames of any sizes batch together.
    """
    boxed = [letterbox(image, size) for image in images]
    blob = cv2.dnn.blobFromImages(
        [canvas for canvas, _ in boxed], scalefactor=1.0 / 128.0, mean=(127.5, 127.5, 127.5), swapRB=False
    )
    return np.asarray(blob, np.float32), [scale for _, scale in boxed]


def prepare_yunet_frames(
    images: Sequence[ImageBGR], size: tuple[int, int]
) -> tuple[NDArray[np.float32], list[float]]:
    """The Nx3xHxW YuNet input (letterboxed top-left, BGR, raw 0..255 as FaceDetectorYN feeds it)."""
    boxed = [letterbox(image, size) for image in images]
    blob = cv2.dnn.blobFromImages([canvas for canvas, _ in boxed], swapRB=False)
    return np.asarray(blob, np.float32), [scale for _, scale in boxed]


def prepare_scrfd_frame(image: ImageBGR, size: tuple[int, int]) -> tuple[NDArray[np.float32], float]:
    """The 1x3xHxW SCRFD input of one image and its letterbox scale."""
    blob, scales = prepare_scrfd_frames([image], size)
    return blob, scales[0]


def prepare_yunet_frame(image: ImageBGR, size: tuple[int, int]) -> tuple[NDArray[np.float32], float]:
    """The 1x3xHxW YuNet input of one image and its letterbox scale."""
    blob, scales = prepare_yunet_frames([image], size)
    return blob, scales[0]


def forward_items(model: ModelSession, blob: NDArray[np.float32]) -> list[list[NDArray[Any]]]:
    """The model's outputs for each item of an Nx... input: one call when the batch dim is dynamic."""
    name = model.input_names()[0]
    if len(blob) > 1 and model.batch_dynamic:
        return split_batch(model.run({name: blob}), len(blob))
    return [model.run({name: blob[i : i + 1]}) for i in range(len(blob))]


@dataclass(frozen=True)
class ScrfdDetector:
    """SCRFD (``scrfd_2.5g``) and RetinaFace/SCRFD 10G (``retinaface_10g``): same I/O and decoding."""

    model: ModelSession
    score_threshold: float = SCRFD_SCORE
    iou_threshold: float = SCRFD_IOU

    def detect_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        if not images:
            return []
        size = detector_input_size(self.model)
        blob, scales = prepare_scrfd_frames(images, size)
        return [
            to_faces(suppress(decode_scrfd(outputs, size, self.score_threshold), self.iou_threshold), scale)
            for outputs, scale in zip(forward_items(self.model, blob), scales, strict=True)
        ]

    def detect(self, image: ImageBGR) -> list[Face]:
        return self.detect_batch([image])[0]


@dataclass(frozen=True)
class YunetDetector:
    """YuNet 2023mar (``yunet``): one anchor per cell, outputs named ``cls_8`` ... ``kps_32``."""

    model: ModelSession
    score_threshold: float = YUNET_SCORE
    iou_threshold: float = YUNET_IOU

    def detect_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        if not images:
            return []
        size = detector_input_size(self.model)
        blob, scales = prepare_yunet_frames(images, size)
        names = self.model.output_names()
        return [
            to_faces(
                suppress(
                    decode_yunet(dict(zip(names, outputs, strict=True)), size, self.score_threshold),
                    self.iou_threshold,
                ),
                scale,
            )
            for outputs, scale in zip(forward_items(self.model, blob), scales, strict=True)
        ]

    def detect(self, image: ImageBGR) -> list[Face]:
        return self.detect_batch([image])[0]


def make_detector(model: ModelSession) -> FaceDetector:
    """The detector for a loaded detector model."""
    if model.name == "yunet":
        return YunetDetector(model)
    return ScrfdDetector(model)
