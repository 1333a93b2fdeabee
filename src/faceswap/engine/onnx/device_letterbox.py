"""A detector's input made on its execution provider's device from the uploaded frames.

The host path (:func:`faceswap.engine.onnx.detector.prepare_detector_frames`) scales and normalises
every frame with OpenCV and uploads float tensors; here the frames go up once as they are (uint8) and
the letterbox graph (:func:`faceswap.engine.onnx.geometry_graphs.letterbox_graph`) makes the detector's
input beside the model, which reads it from the device (IO binding). Only the detector's outputs come
down. Results equal the host path's within one level of a scaled pixel (OpenCV's fixed-point weights).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import letterbox_fit
from faceswap.engine.onnx import geometry_graphs as graphs
from faceswap.engine.onnx.binding import CPU, Device, run_bound, to_host
from faceswap.engine.onnx.decode import split_batch
from faceswap.engine.onnx.device_geometry import geometry_session
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.onnx.staging import HostBuffers
from faceswap.engine.onnx.uploads import SharedUploads, stackable
from faceswap.engine.types import ImageBGR

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceLetterbox:
    """The letterbox graph of one detector (its input size, normalisation and dtype) on its device."""

    session: Any  # onnxruntime.InferenceSession
    size: tuple[int, int]
    device: Device
    uploads: SharedUploads = field(default_factory=SharedUploads, compare=False, repr=False)
    """Kept in a batch scope for the swapper's warp to reuse."""
    buffers: HostBuffers = field(default_factory=HostBuffers, compare=False, repr=False)

    def supports(self, images: Sequence[ImageBGR]) -> bool:
        """Whether ``images`` can go up as one tensor (same size, 3 channels)."""
        return stackable(images)

    def forward_items(
        self, model: ModelSession, images: Sequence[ImageBGR]
    ) -> tuple[list[list[NDArray[Any]]], list[float]]:
        """``model``'s outputs (on the host) for each image, and each image's letterbox scale: one
        detector call for all images when its batch dim is dynamic, else one per image."""
        new_w, new_h, scale = letterbox_fit(images[0].shape, self.size)
        frames, slots = self.uploads.upload(images, self.device, self.buffers)
        scaled = np.array([new_h, new_w], np.int64)
        name = model.input_names()[0]
        step = len(images) if model.batch_dynamic else 1
        items: list[list[NDArray[Any]]] = []
        for start in range(0, len(images), step):
            index = np.asarray(slots[start : start + step], np.int64)
            feeds = {graphs.FRAMES: frames, graphs.FRAME_INDEX: index, graphs.SCALED: scaled}
            blob = run_bound(self.session, feeds, self.device)[0]
            outputs = [
                to_host(v) for v in run_bound(model.session, {name: blob}, self.device, outputs_on=CPU)
            ]
            items += split_batch(outputs, len(index)) if len(index) > 1 else [outputs]
        return items, [scale] * len(images)


def load_device_letterbox(
    model: ModelSession,
    size: tuple[int, int],
    pixels: graphs.DetectorPixels,
    uploads: SharedUploads | None = None,
) -> DeviceLetterbox:
    """The letterbox graph for detector ``model`` (input ``size`` as width, height; its input's dtype and
    ``pixels``' normalisation and channel order); ``uploads`` shared with the stages after (else its own)."""
    graph = graphs.letterbox_graph(size, pixels, model.input_dtype())
    session = geometry_session(model, graph)
    letterbox = DeviceLetterbox(session, size, model.device, uploads or SharedUploads())
    logger.info("model %s: letterbox on %s (device %s)", model.name, model.providers[0], letterbox.device)
    return letterbox
