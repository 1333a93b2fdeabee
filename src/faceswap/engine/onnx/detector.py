"""Face detectors on ONNX Runtime: SCRFD / RetinaFace (InsightFace) and YuNet (OpenCV Zoo)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import letterbox_fit
from faceswap.engine.onnx.decode import (
    Detections,
    decode_scrfd,
    decode_yunet,
    split_batch,
    suppress,
    to_faces,
)
from faceswap.engine.onnx.device_letterbox import DeviceLetterbox, load_device_letterbox
from faceswap.engine.onnx.geometry_graphs import DetectorPixels
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.onnx.uploads import SharedUploads
from faceswap.engine.types import Face, ImageBGR

DEFAULT_INPUT_SIZE = (640, 640)
SCRFD_SCORE = 0.5
SCRFD_IOU = 0.4
YUNET_SCORE = 0.6
"""OpenCV Zoo's demo uses 0.9; 0.6 keeps profile and small faces the swap pipeline still handles."""
YUNET_IOU = 0.3
"""OpenCV Zoo's YuNet default."""
BOX_SCORE = 0.2
"""Score threshold inside a box drawn by hand around a face (:mod:`faceswap.engine.extra_faces`): the
person said a face is there, so a weak detection (turned, blurred, half hidden) is taken."""
SCRFD_PIXELS = DetectorPixels(scalefactor=1.0 / 128.0, mean=127.5, rgb=True)
"""SCRFD and RetinaFace: RGB, ``(x - 127.5) / 128``. RGB as trained: InsightFace's own SCRFD code swaps R
and B before the blob, and its training pipeline converts images to RGB (FaceFusion feeds BGR)."""
YUNET_PIXELS = DetectorPixels(scalefactor=1.0, mean=0.0, rgb=False)
"""YuNet: BGR, raw 0..255, as OpenCV's ``FaceDetectorYN`` feeds it."""
BATCH_INPUT_BYTES = 20 * 1024 * 1024
"""Largest detector input built at once: 4 frames at 640x640. Larger buffers are above glibc's mmap
threshold (32 MiB at most), so each call would map fresh pages and fault on every one of them: 8 frames
cost 0.9 ms per frame to allocate, 4 frames 0.23 ms."""


class FaceDetector(Protocol):
    def detect(self, image: ImageBGR) -> list[Face]:
        """Faces (box, 5 key points, score; no embedding) sorted left to right."""
        ...

    def detect_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        """``detect`` of every image, with one model call for all of them when the batch is dynamic."""
        ...

    def loosened(self, score_threshold: float) -> FaceDetector:
        """This detector with its score threshold lowered to ``score_threshold`` (kept when lower)."""
        ...


def detector_input_size(model: ModelSession) -> tuple[int, int]:
    """(width, height) the model declares, or 640x640 where its spatial dims are dynamic."""
    shape = model.input_shape()
    height, width = shape[2], shape[3]
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return DEFAULT_INPUT_SIZE


def prepare_detector_frames(
    images: Sequence[ImageBGR], size: tuple[int, int], pixels: DetectorPixels
) -> tuple[NDArray[np.float32], list[float]]:
    """The Nx3xHxW input of letterboxed BGR images, ``(x - mean) * scalefactor`` in ``pixels``' channel
    order, and the scales.

    The same as ``blobFromImages`` of :func:`letterbox` canvases, but only each image's scaled pixels
    are normalised; the black margin is filled with its normalised value once.
    """
    scalefactor, mean = pixels.scalefactor, pixels.mean
    width, height = size
    blob = np.full((len(images), 3, height, width), -mean * scalefactor, np.float32)
    scales = []
    for index, image in enumerate(images):
        new_w, new_h, scale = letterbox_fit(image.shape, size)
        scaled = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        part = cv2.dnn.blobFromImage(
            scaled, scalefactor=scalefactor, mean=(mean, mean, mean), swapRB=pixels.rgb
        )
        blob[index, :, :new_h, :new_w] = part[0]
        scales.append(scale)
    return blob, scales


def prepare_scrfd_frames(
    images: Sequence[ImageBGR], size: tuple[int, int]
) -> tuple[NDArray[np.float32], list[float]]:
    """The Nx3xHxW SCRFD input (each letterboxed top-left, RGB, ``(x-127.5)/128``) and the scales.

    Letterboxing brings every image to the detector's size, so frames of any sizes batch together.
    """
    return prepare_detector_frames(images, size, SCRFD_PIXELS)


def prepare_yunet_frames(
    images: Sequence[ImageBGR], size: tuple[int, int]
) -> tuple[NDArray[np.float32], list[float]]:
    """The Nx3xHxW YuNet input (letterboxed top-left, BGR, raw 0..255 as FaceDetectorYN feeds it)."""
    return prepare_detector_frames(images, size, YUNET_PIXELS)


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


Prepare = Callable[[Sequence[ImageBGR], tuple[int, int]], tuple[NDArray[np.float32], list[float]]]
Decode = Callable[[list[NDArray[Any]], tuple[int, int]], Detections]


def detect_all(
    model: ModelSession,
    images: Sequence[ImageBGR],
    prepare: Prepare,
    decode: Decode,
    iou: float,
    letterbox: DeviceLetterbox | None = None,
) -> list[list[Face]]:
    """Faces of every image: several per model call when the batch is dynamic (as many as fit in
    ``BATCH_INPUT_BYTES``), else one image at a time, each prepared only when its turn comes; with
    ``letterbox``, the input is made on the device from the frames uploaded once (same-size frames)."""
    size = detector_input_size(model)
    if letterbox is not None and letterbox.supports(images):
        items, scales = letterbox.forward_items(model, images)
        return [
            to_faces(suppress(decode(outputs, size), iou), scale)
            for outputs, scale in zip(items, scales, strict=True)
        ]
    step = 1
    if model.batch_dynamic:
        step = max(1, min(len(images), BATCH_INPUT_BYTES // (3 * size[0] * size[1] * 4)))
    found: list[list[Face]] = []
    for start in range(0, len(images), step):
        blob, scales = prepare(images[start : start + step], size)
        for outputs, scale in zip(forward_items(model, blob), scales, strict=True):
            found.append(to_faces(suppress(decode(outputs, size), iou), scale))
    return found


@dataclass(frozen=True)
class ScrfdDetector:
    """SCRFD (``scrfd_2.5g``) and RetinaFace/SCRFD 10G (``retinaface_10g``): same I/O and decoding."""

    model: ModelSession
    score_threshold: float = SCRFD_SCORE
    iou_threshold: float = SCRFD_IOU
    letterbox: DeviceLetterbox | None = None
    """The input made on the model's device (None: OpenCV on the host)."""

    def detect_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        def decode(outputs: list[NDArray[Any]], size: tuple[int, int]) -> Detections:
            return decode_scrfd(outputs, size, self.score_threshold)

        prepare, iou = prepare_scrfd_frames, self.iou_threshold
        return detect_all(self.model, images, prepare, decode, iou, self.letterbox)

    def detect(self, image: ImageBGR) -> list[Face]:
        return self.detect_batch([image])[0]

    def loosened(self, score_threshold: float) -> FaceDetector:
        return replace(self, score_threshold=min(self.score_threshold, score_threshold))


@dataclass(frozen=True)
class YunetDetector:
    """YuNet 2023mar (``yunet``): one anchor per cell, outputs named ``cls_8`` ... ``kps_32``."""

    model: ModelSession
    score_threshold: float = YUNET_SCORE
    iou_threshold: float = YUNET_IOU
    letterbox: DeviceLetterbox | None = None
    """The input made on the model's device (None: OpenCV on the host)."""

    def detect_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        names = self.model.output_names()

        def decode(outputs: list[NDArray[Any]], size: tuple[int, int]) -> Detections:
            return decode_yunet(dict(zip(names, outputs, strict=True)), size, self.score_threshold)

        prepare, iou = prepare_yunet_frames, self.iou_threshold
        return detect_all(self.model, images, prepare, decode, iou, self.letterbox)

    def detect(self, image: ImageBGR) -> list[Face]:
        return self.detect_batch([image])[0]

    def loosened(self, score_threshold: float) -> FaceDetector:
        return replace(self, score_threshold=min(self.score_threshold, score_threshold))


def make_detector(
    model: ModelSession, on_device: bool = False, uploads: SharedUploads | None = None
) -> FaceDetector:
    """The detector for a loaded detector model; ``on_device``: its input letterboxed on the model's
    device (see :mod:`faceswap.engine.onnx.device_letterbox`), the frames' upload shared through
    ``uploads``."""
    yunet = model.name == "yunet"
    letterbox = None
    if on_device:
        pixels = YUNET_PIXELS if yunet else SCRFD_PIXELS
        letterbox = load_device_letterbox(model, detector_input_size(model), pixels, uploads)
    if yunet:
        return YunetDetector(model, letterbox=letterbox)
    return ScrfdDetector(model, letterbox=letterbox)
