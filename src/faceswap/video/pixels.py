"""Pure pixel functions of the video pipeline: upright rotation, scaling, even padding, GIF palettes."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from faceswap.engine.types import ImageBGR


def quarter_turns(rotation: float) -> int:
    """Counter-clockwise quarter turns (0..3) nearest to a display rotation in degrees."""
    return round(rotation / 90.0) % 4


def upright(image: ImageBGR, rotation: float) -> ImageBGR:
    """``image`` as it is meant to be displayed, given its counter-clockwise display rotation."""
    turns = quarter_turns(rotation)
    if turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=turns))


def target_size(size: tuple[int, int], resolution: tuple[int, int] | None) -> tuple[int, int]:
    """The (width, height) frames of ``size`` are scaled to; a 0 in ``resolution`` keeps the aspect."""
    if resolution is None:
        return size
    width, height = resolution
    if width == 0:
        width = max(1, round(size[0] * height / size[1]))
    elif height == 0:
        height = max(1, round(size[1] * width / size[0]))
    return width, height


def resize(image: ImageBGR, size: tuple[int, int]) -> ImageBGR:
    """``image`` scaled to ``size`` (width, height): area averaging down, cubic up."""
    height, width = image.shape[:2]
    if (width, height) == size:
        return image
    shrinking = size[0] * size[1] < width * height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def pad_to_even(image: ImageBGR) -> ImageBGR:
    """``image`` with its last column and/or row repeated once where width/height are odd."""
    height, width = image.shape[:2]
    bottom, right = height % 2, width % 2
    if not bottom and not right:
        return image
    return np.pad(image, ((0, bottom), (0, right), (0, 0)), mode="edge")


def to_palette(image: ImageBGR) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """An adaptive 256-colour palette for ``image``: (indices ``HxW``, palette ``256x4`` ARGB)."""
    rgb = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
    quantized = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
    indices = np.asarray(quantized, dtype=np.uint8)
    colours = np.asarray(quantized.getpalette() or [], dtype=np.uint8).reshape(-1, 3)[:256]
    palette = np.zeros((256, 4), dtype=np.uint8)
    palette[:, 0] = 255
    palette[: len(colours), 1:] = colours
    return indices, palette


def to_yuv420p(image: ImageBGR) -> NDArray[np.uint8]:
    """Planar BT.601 limited-range I420 (``H*3/2 x W``) of an even-sized BGR image.

    OpenCV's conversion is used instead of FFmpeg's default bgr24 -> yuv420p scaler, which drifts a few
    levels per generation (grey 110 comes back as 106/109/107, white tops out at Y 234).
    """
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), np.uint8)
