"""Warp, model and paste back with the tensors on the execution provider's device.

:class:`DeviceGeometry` holds the two geometry graphs' sessions (on the model's providers, TensorRT
left out: its profiles name the model's inputs) and the model's alignment (template, crop size).
:meth:`DeviceGeometry.apply_model` is the device path of every crop model (swapper, enhancers): it uploads
a batch's frames once, and per model call warps the faces' crops on the device, hands the crops (an
``OrtValue``) to the model and pastes its output back, so only the frames go up and only the blended
boxes come down. The pure functions here turn OpenCV ``2x3`` matrices into the graphs' per-face inputs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from faceswap.choices import WarpTemplateName
from faceswap.engine.geometry import (
    Mask,
    estimate_matrix,
    invert_matrix,
    paste_box,
    transform_points,
    writable,
)
from faceswap.engine.onnx import geometry_graphs as graphs
from faceswap.engine.onnx.binding import Device, run_bound
from faceswap.engine.onnx.geometry_graphs import PixelMap
from faceswap.engine.onnx.providers import PROVIDER_NAMES
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.onnx.staging import HostBuffers
from faceswap.engine.onnx.uploads import SharedUploads, stackable
from faceswap.engine.types import ImageBGR, Matrix, Points

logger = logging.getLogger(__name__)

Forward = Callable[[Any, slice], Any]
"""The model between warp and paste for the items ``part`` of a batch: crops ``OrtValue`` in, output
``OrtValue`` out (both on the device)."""
Extra = Callable[[slice], Mapping[str, NDArray[Any]]]
"""A model's other inputs for the items ``part`` (inswapper's latents, CodeFormer's ``weight``)."""


@dataclass(frozen=True)
class FaceBoxes:
    """The graphs' per-face inputs: frame, box origin (x, y), the batch's common box size (width,
    height), the ``3x2`` grid matrices, and each face's own box ``(x0, y0, x1, y1)``."""

    frame_index: NDArray[np.int64]
    origin: NDArray[np.int64]
    box: NDArray[np.int64]
    affine: NDArray[np.float32]
    extents: tuple[tuple[int, int, int, int], ...]

    def feeds(self) -> dict[str, NDArray[Any]]:
        return {
            graphs.FRAME_INDEX: self.frame_index,
            graphs.ORIGIN: self.origin,
            graphs.BOX: self.box,
            graphs.AFFINE: self.affine,
        }


def grid_affine(to_source: Matrix, source_size: tuple[int, int]) -> NDArray[np.float32]:
    """``3x2``: output pixel ``[x, y, 1]`` -> GridSample's normalised position in a source of ``source_size``
    (width, height), ``align_corners=0``; ``to_source`` maps output pixels to source pixels."""
    width, height = source_size
    scale = np.array([[2.0 / width], [2.0 / height]])
    grid = np.asarray(to_source, np.float64) * scale
    grid[:, 2] += (1.0 / width - 1.0, 1.0 / height - 1.0)
    result: NDArray[np.float32] = grid.T.astype(np.float32)
    return result


def _boxes(
    frame_index: Sequence[int],
    extents: Sequence[tuple[int, int, int, int]],
    to_source: Callable[[int, tuple[int, int]], tuple[Matrix, tuple[int, int]]],
) -> FaceBoxes:
    width = max((x1 - x0 for x0, _, x1, _ in extents), default=0)
    height = max((y1 - y0 for _, y0, _, y1 in extents), default=0)
    affines = [grid_affine(*to_source(i, (width, height))) for i in range(len(extents))]
    return FaceBoxes(
        frame_index=np.asarray(frame_index, np.int64),
        origin=np.array([(x0, y0) for x0, y0, _, _ in extents], np.int64).reshape(-1, 2),
        box=np.array([width, height], np.int64),
        affine=np.stack(affines) if affines else np.zeros((0, 3, 2), np.float32),
        extents=tuple(extents),
    )


def warp_boxes(
    matrices: Sequence[Matrix], frame_index: Sequence[int], frame_shape: tuple[int, int], size: int
) -> FaceBoxes:
    """Inputs of the warp graph: each face's source box (its crop's footprint plus a pixel of margin for
    the bilinear neighbours, clipped to the frame) and the crop-pixel -> box-position grid matrices."""
    frame_h, frame_w = frame_shape
    inverses = [invert_matrix(m) for m in matrices]
    corners = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float32)
    extents = []
    for inverse in inverses:
        points = transform_points(corners, inverse)
        x0 = min(max(math.floor(float(points[:, 0].min())) - 1, 0), frame_w - 1)
        y0 = min(max(math.floor(float(points[:, 1].min())) - 1, 0), frame_h - 1)
        x1 = min(max(math.ceil(float(points[:, 0].max())) + 2, x0 + 1), frame_w)
        y1 = min(max(math.ceil(float(points[:, 1].max())) + 2, y0 + 1), frame_h)
        extents.append((x0, y0, x1, y1))

    def to_source(i: int, box: tuple[int, int]) -> tuple[Matrix, tuple[int, int]]:
        shifted = inverses[i].copy()
        shifted[:, 2] -= extents[i][:2]
        return shifted, box

    return _boxes(frame_index, extents, to_source)


def paste_boxes(
    matrices: Sequence[Matrix], frame_index: Sequence[int], frame_shape: tuple[int, int], size: int
) -> FaceBoxes:
    """Inputs of the paste graph: each face's paste box (as :func:`paste_box`) and the box-pixel -> crop
    position grid matrices."""
    extents = [paste_box((size, size), m, frame_shape) for m in matrices]

    def to_source(i: int, _: tuple[int, int]) -> tuple[Matrix, tuple[int, int]]:
        shifted = np.asarray(matrices[i], np.float64).copy()
        shifted[:, 2] += shifted[:, :2] @ np.asarray(extents[i][:2], np.float64)
        return shifted, (size, size)

    return _boxes(frame_index, [(e[0], e[1], e[2], e[3]) for e in extents], to_source)


def write_regions(
    images: Sequence[ImageBGR], regions: NDArray[np.uint8], extents: Sequence[tuple[int, int, int, int]]
) -> None:
    """Writes ``regions[i]`` (cut to its box) into ``images[i]`` at box ``extents[i]``, in place."""
    for image, region, (x0, y0, x1, y1) in zip(images, regions, extents, strict=True):
        if x1 > x0 and y1 > y0:
            image[y0:y1, x0:x1] = region[: y1 - y0, : x1 - x0]


@dataclass(frozen=True)
class DeviceGeometry:
    """The warp and paste graphs of one model (alignment ``template`` at crop ``size``, pixel mapping,
    dtype) on its device."""

    warp: Any  # onnxruntime.InferenceSession
    paste: Any
    template: WarpTemplateName
    size: int
    device: Device
    uploads: SharedUploads = field(default_factory=SharedUploads, compare=False, repr=False)
    """Frames uploaded by the stage before (the detector's letterbox), reused in a batch scope."""
    buffers: HostBuffers = field(default_factory=HostBuffers, compare=False, repr=False)
    """Where frames are stacked to go up and pasted boxes come down, reused from batch to batch."""

    def supports(self, frames: Sequence[ImageBGR]) -> bool:
        """Whether ``frames`` can go up as one tensor (same size, 3 channels)."""
        return stackable(frames)

    def apply_model(
        self,
        model: ModelSession,
        image_input: str,
        frames: Sequence[ImageBGR],
        kps: Sequence[Points],
        extra: Extra,
        mask: Mask,
        *,
        in_place: bool = False,
    ) -> list[ImageBGR]:
        """Item i: a copy of ``frames[i]`` with ``model``'s output for the face with key points ``kps[i]``
        pasted back through ``mask``: the crops go to ``image_input``, ``extra(part)`` to the other inputs.
        One model call for all faces when its batch dim is dynamic, else one per face. ``in_place``: see
        :meth:`apply`."""
        matrices = [estimate_matrix(points, self.template, self.size) for points in kps]

        def forward(crops: Any, part: slice) -> Any:
            return run_bound(model.session, {image_input: crops, **extra(part)}, self.device)[0]

        step = len(frames) if model.batch_dynamic else 1
        return self.apply(frames, matrices, forward, mask, step, in_place=in_place)

    def apply(
        self,
        frames: Sequence[ImageBGR],
        matrices: Sequence[Matrix],
        forward: Forward,
        mask: Mask,
        step: int,
        *,
        in_place: bool = False,
    ) -> list[ImageBGR]:
        """Item i: a copy of ``frames[i]`` with ``forward``'s output for face ``matrices[i]`` pasted back
        through ``mask``, as ``warp_face`` -> model -> ``paste_back`` would give; ``step`` items per
        ``forward`` call, the frames uploaded once for all of them.

        ``in_place``: the frames are the caller's to change: the faces are written into them (read-only
        ones are still copied) and item i is ``frames[i]`` itself; a frame listed twice gets both faces,
        each blended over the frame as it was.
        """
        on_device, index = self.uploads.upload(frames, self.device, self.buffers)
        shape = (int(frames[0].shape[0]), int(frames[0].shape[1]))
        results = writable(frames, in_place)
        if in_place:
            self.uploads.forget()  # the frames are about to change
        for start in range(0, len(frames), max(1, step)):
            part = slice(start, start + max(1, step))
            warp = warp_boxes(matrices[part], index[part], shape, self.size)
            crops = run_bound(self.warp, {graphs.FRAMES: on_device, **warp.feeds()}, self.device)[0]
            output = forward(crops, part)
            paste = paste_boxes(matrices[part], index[part], shape, self.size)
            if not paste.box.all():
                continue
            feeds = {graphs.FRAMES: on_device, graphs.CROPS: output, graphs.MASK: mask, **paste.feeds()}
            width, height = (int(d) for d in paste.box)
            regions = self.buffers.take("regions", (len(paste.extents), height, width, 3))
            run_bound(self.paste, feeds, self.device, into={graphs.REGIONS: regions})
            write_regions(results[part], regions, paste.extents)
        return results


def geometry_session(model: ModelSession, graph: Any) -> Any:
    """A session of ``graph`` (an ONNX ``ModelProto``) on ``model``'s providers and options, TensorRT
    left out (its profiles name the model's inputs)."""
    options = model.session.get_provider_options()
    providers = [p for p in model.providers if p != PROVIDER_NAMES["tensorrt"]]
    session_options = ort.SessionOptions()
    session_options.log_severity_level = 3
    session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(
        graph.SerializeToString(),
        sess_options=session_options,
        providers=providers,
        provider_options=[dict(options.get(p, {})) for p in providers],
    )


def load_device_geometry(
    model: ModelSession,
    template: WarpTemplateName,
    size: int,
    pixels: PixelMap,
    uploads: SharedUploads | None = None,
) -> DeviceGeometry:
    """The geometry graphs for ``model`` (its first input's dtype, aligned with ``template`` at ``size``),
    on its providers minus TensorRT; ``uploads`` shared with the stages before (else its own)."""
    dtype = model.input_dtype()
    geometry = DeviceGeometry(
        warp=geometry_session(model, graphs.warp_graph(size, pixels, dtype)),
        paste=geometry_session(model, graphs.paste_graph(size, pixels, dtype)),
        template=template,
        size=size,
        device=model.device,
        uploads=uploads or SharedUploads(),
    )
    logger.info(
        "model %s: warp and paste back on %s (device %s)", model.name, model.providers[0], geometry.device
    )
    return geometry
