"""Face detectors on ONNX Runtime: SCRFD / RetinaFace (InsightFace) and YuNet (OpenCV Zoo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import letterbox
from faceswap.engine.onnx.decode import decode_scrfd, decode_yunet, suppress, to_faces
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


def detector_input_size(model: ModelSession) -> tuple[int, int]:
    """(width, height) the model declares, or 640x640 where its spatial dims are dynamic."""
    shape = model.input_shape()
    height, width = shape[2], shape[3]
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return DEFAULT_INPUT_SIZE


def prepare_scrfd_frame(image: ImageBGR, size: tuple[int, int]) -> tuple[NDArray[np.float32], float]:
    """The 1x3xHxW SCRFD input (letterboxed top-left, BGR, ``(x-127.5)/128``) and the letterbox scale."""
    canvas, scale = letterbox(image, size)
    blob = cv2.dnn.blobFromImage(canvas, scalefactor=1.0 / 128.0, mean=(127.5, 127.5, 127.5), swapRB=False)
    return np.asarray(blob, np.float32), scale


def prepare_yunet_frame(image: ImageBGR, size: tuple[int, int]) -> tuple[NDArray[np.float32], float]:
    """The 1x3xHxW YuNet input (letterboxed top-left, BGR, raw 0..255 as FaceDetectorYN feeds it)."""
    canvas, scale = letterbox(image, size)
    return np.asarray(cv2.dnn.blobFromImage(canvas, swapRB=False), np.float32), scale


@dataclass(frozen=True)
class ScrfdDetector:
    """SCRFD (``scrfd_2.5g``) and RetinaFace/SCRFD 10G (``retinaface_10g``): same I/O and decoding."""

    model: ModelSession
    score_threshold: float = SCRFD_SCORE
    iou_threshold: float = SCRFD_IOU

    def forward_detect(self, blob: NDArray[np.float32]) -> list[NDArray[Any]]:
        return self.model.run({self.model.input_names()[0]: blob})

    def detect(self, image: ImageBGR) -> list[Face]:
        size = detector_input_size(self.model)
        blob, scale = prepare_scrfd_frame(image, size)
        candidates = decode_scrfd(self.forward_detect(blob), size, self.score_threshold)
        return to_faces(suppress(candidates, self.iou_threshold), scale)


@dataclass(frozen=True)
class YunetDetector:
    """YuNet 2023mar (``yunet``): one anchor per cell, outputs named ``cls_8`` ... ``kps_32``."""

    model: ModelSession
    score_threshold: float = YUNET_SCORE
    iou_threshold: float = YUNET_IOU

    def forward_detect(self, blob: NDArray[np.float32]) -> dict[str, NDArray[Any]]:
        outputs = self.model.run({self.model.input_names()[0]: blob})
        return dict(zip(self.model.output_names(), outputs, strict=True))

    def detect(self, image: ImageBGR) -> list[Face]:
        size = detector_input_size(self.model)
        blob, scale = prepare_yunet_frame(image, size)
        candidates = decode_yunet(self.forward_detect(blob), size, self.score_threshold)
        return to_faces(suppress(candidates, self.iou_threshold), scale)


def make_detector(model: ModelSession) -> FaceDetector:
    """The detector for a loaded detector model."""
    if model.name == "yunet":
        return YunetDetector(model)
    return ScrfdDetector(model)
