"""Pure pixel functions of the swappers, parameterised by :class:`faceswap.models.swappers.SwapperSpec`.

* target crops in: BGR uint8 -> ``Nx3xSxS`` float32 RGB, ``(x / 255 - mean) / std`` per channel;
* swapped crops out: ``Nx3xSxS`` -> (``y * std + mean`` when the family de-normalises) clipped to [0, 1],
  times 255, rounded, BGR uint8;
* image sources: the source face aligned with the family's source template, RGB ``x / 255``, NCHW;
* :func:`pixel_map`: the same target normalisation as the device geometry graphs' ``PixelMap``, where a
  single scale and offset for all three channels can say it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import warp_face
from faceswap.engine.onnx.geometry_graphs import PixelMap
from faceswap.engine.types import ImageBGR, SourceFace
from faceswap.models.swappers import SwapperSpec, Triple


def prepare_swap_crops(crops: Sequence[ImageBGR], mean: Triple, std: Triple) -> NDArray[np.float32]:
    """``Nx3xSxS`` swapper ``target`` input: RGB, ``(x / 255 - mean) / std`` per channel.

    Computed as ``x * (1 / (255 std)) - mean / std``: one OpenCV pass per channel plane, written straight
    into the blob (the same figures as the formula to a float32 rounding, exactly when ``mean`` is 0)."""
    if not crops:
        return np.zeros((0, 3, 0, 0), np.float32)
    height, width = crops[0].shape[:2]
    if any(crop.shape != (height, width, 3) for crop in crops):
        raise ValueError("the crops of one batch must all be BGR images of one size")
    blob = np.empty((len(crops), 3, height, width), np.float32)
    scales = [1.0 / (255.0 * s) for s in std]
    offsets = [-m / s for m, s in zip(mean, std, strict=True)]
    for item, crop in zip(blob, crops, strict=True):
        rgb = cv2.split(crop)[::-1]
        for channel, plane in enumerate(rgb):
            scale, offset = scales[channel], offsets[channel]
            cv2.addWeighted(plane, scale, plane, 0.0, offset, dst=item[channel], dtype=cv2.CV_32F)
    return blob


def normalize_swap_output(
    output: NDArray[Any], mean: Triple, std: Triple, denormalise: bool
) -> list[ImageBGR]:
    """The swapper's ``Nx3xSxS`` RGB output as BGR uint8 crops: de-normalised (``y * std + mean``) when
    ``denormalise``, clipped to [0, 1], times 255, rounded to the nearest (even) level.

    One OpenCV pass per channel plane (``y * 255 std + 255 mean``, saturated and rounded into uint8), then
    the planes merged in BGR order."""
    pixels = np.asarray(output, np.float32)
    scales = [255.0 * s for s in std] if denormalise else [255.0] * 3
    offsets = [255.0 * m for m in mean] if denormalise else [0.0] * 3
    crops: list[ImageBGR] = []
    for item in pixels:
        bgr = [
            cv2.addWeighted(item[c], scales[c], item[c], 0.0, offsets[c], dtype=cv2.CV_8U) for c in (2, 1, 0)
        ]
        crops.append(np.asarray(cv2.merge(bgr), np.uint8))
    return crops


def prepare_source_crops(faces: Sequence[SourceFace], spec: SwapperSpec) -> NDArray[np.float32]:
    """``Nx3xsxs`` ``source`` input of an image-source swapper: each source face aligned with the spec's
    source template at its source size, RGB in [0, 1]."""
    if spec.source_template is None or spec.source_size is None:
        raise ValueError(f"a {spec.family} swapper takes no source image")
    crops = [warp_face(f.image, f.face.kps, spec.source_template, spec.source_size)[0] for f in faces]
    return prepare_swap_crops(crops, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


def pixel_map(spec: SwapperSpec) -> PixelMap | None:
    """The target normalisation and output mapping as the geometry graphs' ``PixelMap`` (one scale and
    offset for every channel), or None when it cannot say it (per-channel mean/std, or an output in [0, 1]
    read from a normalised input): such swappers warp and paste back on the host."""
    if len(set(spec.mean)) > 1 or len(set(spec.std)) > 1:
        return None
    mean, std = spec.mean[0], spec.std[0]
    if not spec.denormalise and (mean, std) != (0.0, 1.0):
        return None
    return PixelMap(
        scale=1.0 / (255.0 * std), offset=-mean / std, rgb=True, low=-mean / std, high=(1.0 - mean) / std
    )
