"""Pixel boost: a crop k times the swapper's size split into k x k interleaved model-sized sub-images.

Sub-image ``(i, j)`` holds the pixels ``crop[i::k, j::k]``: each is the whole face at the model's size,
sampled with an offset, so every one is a proper input. After the swap the outputs go back to the same
positions (:func:`explode`), giving a crop with k times the detail of one swap. Pure array functions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from faceswap.engine.types import ImageBGR


def implode(crop: ImageBGR, size: int) -> list[ImageBGR]:
    """The ``(crop side / size)^2`` interleaved ``size`` x ``size`` sub-images, row-major in (i, j)."""
    factor = _factor(crop.shape[0], size)
    if factor == 1:
        return [crop]  # the native size: the crop itself, no copy
    return [np.ascontiguousarray(crop[i::factor, j::factor]) for i in range(factor) for j in range(factor)]


def explode(parts: list[ImageBGR], size: int) -> ImageBGR:
    """The crop that :func:`implode` split into ``parts`` (each ``size`` x ``size``), put back together."""
    factor = round(len(parts) ** 0.5)
    if factor * factor != len(parts):
        raise ValueError(f"{len(parts)} sub-images do not make a square")
    if factor == 1:
        return parts[0]  # the native size: the swapped crop itself
    first: NDArray[np.uint8] = parts[0]
    crop = np.empty((size * factor, size * factor, *first.shape[2:]), first.dtype)
    for index, part in enumerate(parts):
        i, j = divmod(index, factor)
        crop[i::factor, j::factor] = part
    return crop


def _factor(side: int, size: int) -> int:
    if side % size:
        raise ValueError(f"a {side} px crop is not a multiple of {size} px")
    return side // size
