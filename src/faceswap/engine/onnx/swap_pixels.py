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
    """``Nx3xSxS`` swapper ``target`` input: RGB, ``(x / 255 - mean) / std`` per channel."""
    uniform = std[0] == std[1] == std[2]
    scale = 1.0 / (255.0 * std[0]) if uniform else 1.0 / 255.0
    rgb_mean = tuple(255.0 * m for m in mean)  # blobFromImages subtracts it from the swapped (RGB) channels
    blob = np.asarray(cv2.dnn.blobFromImages(list(crops), scale, mean=rgb_mean, swapRB=True), np.float32)
    if not uniform:
        blob /= np.asarray(std, np.float32).reshape(1, 3, 1, 1)
    return blob


def normalize_swap_output(
    output: NDArray[Any], mean: Triple, std: Triple, denormalise: bool
) -> list[ImageBGR]:
    """The swapper's ``Nx3xSxS`` RGB output as BGR uint8 crops: de-normalised (``y * std + mean``) when
    ``denormalise``, clipped to [0, 1], times 255, rounded. The float work runs on the contiguous NCHW
    array, the layout change (planes merged in BGR order) on the 4 times smaller uint8 one."""
    pixels = np.asarray(output, np.float32)
    if denormalise:
        scale = np.asarray(std, np.float32).reshape(1, 3, 1, 1) * np.float32(255.0)
        pixels = pixels * scale + np.asarray(mean, np.float32).reshape(1, 3, 1, 1) * np.float32(255.0)
    else:
        pixels = pixels * np.float32(255.0)
    np.clip(pixels, 0.0, 255.0, out=pixels)
    np.rint(pixels, out=pixels)
    planes = pixels.astype(np.uint8)
    return [np.asarray(cv2.merge((item[2], item[1], item[0])), np.uint8) for item in planes]


def prepare_source_crops(faces: Sequence[SourceFace], spec: SwapperSpec) -> NDArray[np.float32]:
    """``Nx3xsxs`` ``source`` input of an image-source swapper: each source face aligned with the spec's
    source template at its source size, RGB in [0, 1]."""
    if spec.source_template is None or spec.source_size is None:
        raise ValueError(f"a {spec.family} swapper takes no source image")
    crops = [warp_face(f.image, f.face.kps, spec.source_template, spec.source_size)[0] for f in faces]
    return np.asarray(cv2.dnn.blobFromImages(crops, 1.0 / 255.0, swapRB=True), np.float32)


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
