"""Alignment (warp) and paste back as small ONNX graphs, so they run on the engine's execution provider.

Both graphs read whole frames (``BxHxWx3`` uint8 BGR, uploaded once per batch) and work on one box per
face: the pixels ``origin + (0..box)`` of frame ``frame_index`` gathered with clamped indices (so pixels
past the frame's edge repeat the edge, as OpenCV's ``BORDER_REPLICATE``). Sampling is ``GridSample``
(bilinear, ``align_corners=0``) over a grid that a per-face ``Nx3x2`` matrix computes from pixel
coordinates ``[x, y, 1]``: the host turns OpenCV's affine matrices into those (see ``device_geometry``).

* warp: ``crops = normalise(round(sample(region, grid over the crop's pixels)))``, ``Nx3xSxS`` in the
  model's input layout, dtype and normalisation (e.g. inswapper's RGB in [0, 1]).
* paste: the model's output back to BGR 0..255 (clipped, rounded), sampled with the mask (zeros outside
  the crop) over the box's pixels, and blended: ``round(region + (warped - region) * weight)`` as
  ``NxHbxWbx3`` uint8 regions the host writes into its frames.
* letterbox: a detector's input from the frames ``frame_index``: each in the detector's channel order,
  scaled to ``scaled`` (height, width; bilinear, half-pixel centres as OpenCV's ``INTER_LINEAR``, rounded
  to levels), normalised ``(x - mean) * scalefactor`` and padded right and bottom to the detector's size with the value black
  takes (``letterbox`` + ``blobFromImage``).

Differences from OpenCV's ``warpAffine``: OpenCV quantises sample positions to 1/32 pixel and weights to
15 bits for uint8 images and rounds the warped crop to uint8; the graphs sample in float. The results
differ by well under one level on average (tests measure it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
FRAMES, FRAME_INDEX, ORIGIN, BOX, AFFINE = "frames", "frame_index", "origin", "box", "affine"
CROPS, MASK, REGIONS = "crops", "mask", "regions"
SCALED, BLOB = "scaled", "blob"
_ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16}


@dataclass(frozen=True)
class DetectorPixels:
    """How a detector sees pixels: ``(pixel - mean) * scalefactor`` per channel, RGB order or BGR."""

    scalefactor: float
    mean: float
    rgb: bool


@dataclass(frozen=True)
class PixelMap:
    """How a model sees pixels: ``model = pixel * scale + offset`` per channel, RGB order or BGR.

    ``low``/``high`` are the model's output range, clipped to before mapping back to pixels.
    """

    scale: float
    offset: float
    rgb: bool
    low: float
    high: float


UNIT_RGB = PixelMap(scale=1.0 / 255.0, offset=0.0, rgb=True, low=0.0, high=1.0)
"""inswapper: RGB in [0, 1]."""
SYMMETRIC_RGB = PixelMap(scale=1.0 / 127.5, offset=-1.0, rgb=True, low=-1.0, high=1.0)
"""GFPGAN, CodeFormer, RestoreFormer++: RGB in [-1, 1]."""


class _Builder:
    """Collects nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._count = 0

    def const(self, value: Any, dtype: Any) -> str:
        self._count += 1
        name = f"c{self._count}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: Any) -> str:
        self._count += 1
        name = f"{kind.lower()}{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [name], **attrs))
        return name

    def scalar(self, vector: str, index: int) -> str:
        return self.op("Gather", vector, self.const(index, np.int64), axis=0)

    def pixel_grid(self, width: str, height: str) -> tuple[str, str, str]:
        """``HxWx3`` float ``[x, y, 1]`` of every pixel, and the int64 ranges x (W) and y (H)."""
        zero, one = self.const(0, np.int64), self.const(1, np.int64)
        xs, ys = self.op("Range", zero, width, one), self.op("Range", zero, height, one)
        shape = self.op(
            "Concat", self.op("Unsqueeze", height, zero), self.op("Unsqueeze", width, zero), axis=0
        )
        gx = self.op("Expand", self.op("Unsqueeze", self.op("Cast", xs, to=TensorProto.FLOAT), zero), shape)
        gy = self.op("Expand", self.op("Unsqueeze", self.op("Cast", ys, to=TensorProto.FLOAT), one), shape)
        ones = self.op("Add", self.op("Mul", gx, self.const(0.0, np.float32)), self.const(1.0, np.float32))
        last = self.const([-1], np.int64)
        parts = [self.op("Unsqueeze", part, last) for part in (gx, gy, ones)]
        return self.op("Concat", *parts, axis=-1), xs, ys

    def grid(self, pixels: str) -> str:
        """``NxHxWx2`` normalised sample positions: the pixel grid times each face's ``3x2`` affine."""
        return self.op("MatMul", pixels, self.op("Unsqueeze", AFFINE, self.const([1], np.int64)))

    def box_grid(self) -> tuple[str, str, str]:
        """The box's pixel grid (``HbxWbx3``) and its int64 x and y ranges."""
        return self.pixel_grid(self.scalar(BOX, 0), self.scalar(BOX, 1))

    def region(self, u: str, v: str) -> str:
        """``NxHbxWbx3`` float pixels of each face's box at ``origin + (v, u)``, clamped to the frame."""
        shape = self.op("Shape", FRAMES)
        height, width = self.scalar(shape, 1), self.scalar(shape, 2)
        one, zero = self.const(1, np.int64), self.const(0, np.int64)
        x0 = self.op("Slice", ORIGIN, self.const([0], np.int64), self.const([1], np.int64), one)
        y0 = self.op("Slice", ORIGIN, self.const([1], np.int64), self.const([2], np.int64), one)
        xs = self.op("Min", self.op("Max", self.op("Add", x0, u), zero), self.op("Sub", width, one))
        ys = self.op("Min", self.op("Max", self.op("Add", y0, v), zero), self.op("Sub", height, one))
        frame = self.op("Unsqueeze", FRAME_INDEX, one)
        rows = self.op("Mul", self.op("Add", self.op("Mul", frame, height), ys), width)
        flat = self.op(
            "Add", self.op("Unsqueeze", rows, self.const([2], np.int64)), self.op("Unsqueeze", xs, one)
        )
        pixels = self.op("Reshape", FRAMES, self.const([-1, 3], np.int64))
        return self.op("Cast", self.op("Gather", pixels, flat, axis=0), to=TensorProto.FLOAT)

    def channels(self, image: str, rgb: bool) -> str:
        """``image`` (Nx3xHxW) with its channels reversed when ``rgb`` (BGR <-> RGB)."""
        return self.op("Gather", image, self.const([2, 1, 0], np.int64), axis=1) if rgb else image


def _inputs(extra: list[Any]) -> list[Any]:
    return [
        helper.make_tensor_value_info(FRAMES, TensorProto.UINT8, ["B", "H", "W", 3]),
        helper.make_tensor_value_info(FRAME_INDEX, TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info(ORIGIN, TensorProto.INT64, ["N", 2]),
        helper.make_tensor_value_info(BOX, TensorProto.INT64, [2]),
        helper.make_tensor_value_info(AFFINE, TensorProto.FLOAT, ["N", 3, 2]),
        *extra,
    ]


def _model(builder: _Builder, name: str, inputs: list[Any], output: Any) -> onnx.ModelProto:
    graph = helper.make_graph(builder.nodes, name, inputs, [output], initializer=builder.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model


def warp_graph(size: int, pixels: PixelMap, dtype: Any = np.float32) -> onnx.ModelProto:
    """``crops`` ``Nx3xSxS`` (``size``) of ``dtype``: each face's box sampled through its affine."""
    b = _Builder()
    _, u, v = b.box_grid()
    image = b.op("Transpose", b.region(u, v), perm=[0, 3, 1, 2])
    side = b.const(size, np.int64)
    grid, _, _ = b.pixel_grid(side, side)
    sampled = b.op("GridSample", image, b.grid(grid), mode="bilinear", padding_mode="border", align_corners=0)
    ordered = b.channels(b.op("Round", sampled), pixels.rgb)
    scaled = b.op(
        "Add", b.op("Mul", ordered, b.const(pixels.scale, np.float32)), b.const(pixels.offset, np.float32)
    )
    onnx_type = _ONNX_TYPES[np.dtype(dtype)]
    b.nodes.append(helper.make_node("Cast", [scaled], [CROPS], to=onnx_type))
    output = helper.make_tensor_value_info(CROPS, onnx_type, ["N", 3, size, size])
    return _model(b, "warp_faces", _inputs([]), output)


def paste_graph(size: int, pixels: PixelMap, dtype: Any = np.float32) -> onnx.ModelProto:
    """``regions`` ``NxHbxWbx3`` uint8: each face's box with its model output blended in through ``mask``."""
    b = _Builder()
    crops = b.op("Cast", CROPS, to=TensorProto.FLOAT)
    clipped = b.op("Clip", crops, b.const(pixels.low, np.float32), b.const(pixels.high, np.float32))
    back = b.op(
        "Div", b.op("Sub", clipped, b.const(pixels.offset, np.float32)), b.const(pixels.scale, np.float32)
    )
    bgr = b.channels(b.op("Round", back), pixels.rgb)
    pixel_grid, u, v = b.box_grid()
    region, grid = b.region(u, v), b.grid(pixel_grid)
    warped = b.op("GridSample", bgr, grid, mode="bilinear", padding_mode="border", align_corners=0)
    count = b.op("Shape", FRAME_INDEX)
    mask_shape = b.op("Concat", count, b.const([1, size, size], np.int64), axis=0)
    masks = b.op("Expand", b.op("Reshape", MASK, b.const([1, 1, size, size], np.int64)), mask_shape)
    weight = b.op("GridSample", masks, grid, mode="bilinear", padding_mode="zeros", align_corners=0)
    weight = b.op("Clip", weight, b.const(0.0, np.float32), b.const(1.0, np.float32))
    delta = b.op("Sub", b.op("Transpose", warped, perm=[0, 2, 3, 1]), region)
    blended = b.op("Add", region, b.op("Mul", delta, b.op("Transpose", weight, perm=[0, 2, 3, 1])))
    b.nodes.append(helper.make_node("Cast", [b.op("Round", blended)], [REGIONS], to=TensorProto.UINT8))
    crops_input = helper.make_tensor_value_info(CROPS, _ONNX_TYPES[np.dtype(dtype)], ["N", 3, size, size])
    mask_input = helper.make_tensor_value_info(MASK, TensorProto.FLOAT, [size, size])
    output = helper.make_tensor_value_info(REGIONS, TensorProto.UINT8, ["N", "Hb", "Wb", 3])
    return _model(b, "paste_faces", _inputs([crops_input, mask_input]), output)


def letterbox_graph(
    size: tuple[int, int], pixels: DetectorPixels, dtype: Any = np.float32
) -> onnx.ModelProto:
    """``blob`` ``Nx3xHxW`` (``size``: W, H) of ``dtype``: the letterboxed frames ``frame_index``,
    normalised and in the channel order ``pixels`` says."""
    width, height = size
    scalefactor, mean = pixels.scalefactor, pixels.mean
    b = _Builder()
    chosen = b.op("Gather", FRAMES, FRAME_INDEX, axis=0)
    if pixels.rgb:  # the frames are BGR
        chosen = b.op("Gather", chosen, b.const([2, 1, 0], np.int64), axis=3)
    image = b.op("Cast", b.op("Transpose", chosen, perm=[0, 3, 1, 2]), to=TensorProto.FLOAT)
    sizes = b.op("Concat", b.op("Slice", b.op("Shape", image), *_range(b, 0, 2)), SCALED, axis=0)
    empty = b.const(np.zeros(0, np.float32), np.float32)
    scaled = b.op(
        "Resize", image, empty, empty, sizes, mode="linear", coordinate_transformation_mode="half_pixel"
    )
    normalised = b.op(
        "Mul", b.op("Sub", b.op("Round", scaled), b.const(mean, np.float32)), b.const(scalefactor, np.float32)
    )
    margin = b.op("Sub", b.const([height, width], np.int64), SCALED)
    pads = b.op("Concat", b.const([0, 0, 0, 0, 0, 0], np.int64), margin, axis=0)
    padded = b.op("Pad", normalised, pads, b.const(-mean * scalefactor, np.float32), mode="constant")
    onnx_type = _ONNX_TYPES[np.dtype(dtype)]
    b.nodes.append(helper.make_node("Cast", [padded], [BLOB], to=onnx_type))
    inputs = [
        helper.make_tensor_value_info(FRAMES, TensorProto.UINT8, ["B", "H", "W", 3]),
        helper.make_tensor_value_info(FRAME_INDEX, TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info(SCALED, TensorProto.INT64, [2]),
    ]
    output = helper.make_tensor_value_info(BLOB, onnx_type, ["N", 3, height, width])
    return _model(b, "letterbox_frames", inputs, output)


def _range(b: _Builder, start: int, end: int) -> tuple[str, str, str]:
    """``Slice``'s starts, ends and axes inputs for ``[start:end]`` of a 1-D tensor."""
    return b.const([start], np.int64), b.const([end], np.int64), b.const([0], np.int64)
