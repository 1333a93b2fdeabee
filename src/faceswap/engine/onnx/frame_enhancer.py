"""Whole-frame super-resolution (Real-ESRGAN, SPAN): tiles of RGB in [0, 1] in, the same upscaled out.

The conventions (checked against FaceFusion's frame enhancer and Real-ESRGAN's own inference code): NCHW
float32, RGB, ``x / 255``; the output is RGB in [0, 1], clipped and times 255. The tile size, overlap and
scale are the model's catalog entry (:class:`faceswap.models.catalog.Tiling`); tiling and stitching are
:mod:`faceswap.engine.tiles`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.onnx.signature import FRAME_ENHANCER_INPUT
from faceswap.engine.tiles import TileGrid, upscale_tiled
from faceswap.engine.types import ImageBGR

TILES_PER_CALL = 8
"""Tiles per model call when the model's batch dimension is dynamic (else one per call)."""


def prepare_tiles(tiles: NDArray[np.uint8]) -> NDArray[np.float32]:
    """``N x T x T x 3`` BGR uint8 tiles as the model's ``N x 3 x T x T`` input: RGB in [0, 1]."""
    rgb = tiles[..., ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))


def normalize_tiles(output: NDArray[Any]) -> NDArray[np.float32]:
    """The model's ``N x 3 x S x S`` RGB [0, 1] output as ``N x S x S x 3`` BGR pixel values (0..255)."""
    pixels = np.clip(np.asarray(output, np.float32), 0.0, 1.0) * 255.0
    return np.ascontiguousarray(pixels.transpose(0, 2, 3, 1)[..., ::-1])


def mix_resized(tiles: NDArray[np.uint8], upscaled: NDArray[np.float32], blend: float) -> NDArray[np.float32]:
    """``blend`` of the model's ``upscaled`` tiles and ``1 - blend`` of ``tiles`` resized bicubically."""
    if blend >= 1.0:
        return upscaled
    size = upscaled.shape[2], upscaled.shape[1]
    resized = np.stack([cv2.resize(tile, size, interpolation=cv2.INTER_CUBIC) for tile in tiles])
    mixed = upscaled * np.float32(blend)
    mixed += resized.astype(np.float32) * np.float32(1.0 - blend)
    return mixed


@dataclass(frozen=True)
class OnnxFrameEnhancer:
    """Implements :class:`faceswap.engine.upscale.FrameUpscaler` with one super-resolution model."""

    model: ModelSession
    grid: TileGrid

    @property
    def scale(self) -> int:
        return self.grid.scale

    def forward_tiles(self, tiles: NDArray[np.uint8]) -> NDArray[np.float32]:
        """The model's output for a batch of BGR tiles, as BGR pixel values."""
        output = run_batched(self.model, {FRAME_ENHANCER_INPUT: prepare_tiles(tiles)})
        return normalize_tiles(output)

    def upscale(self, frame: ImageBGR, blend: float = 1.0) -> ImageBGR:
        """``frame`` ``scale`` times as wide and high: ``blend`` of the model's output, the rest a bicubic
        resize of ``frame``."""
        weight = min(max(blend, 0.0), 1.0)

        def model(tiles: NDArray[np.uint8]) -> NDArray[np.float32]:
            return mix_resized(tiles, self.forward_tiles(tiles), weight)

        batch = TILES_PER_CALL if self.model.batch_dynamic else 1
        return upscale_tiled(frame, self.grid, model, batch)
