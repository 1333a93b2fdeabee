"""Tiling a frame for a super-resolution model and stitching its outputs back, seams blended.

Pure functions; the model is a callable. Tiles are all ``tile`` x ``tile`` input pixels (a frame smaller
than a tile is edge-padded, the padding cut off the output), so any batch of them can go through the
model in one call. Along each axis tiles start every ``tile - overlap`` pixels and the last one ends on the
frame's edge, so neighbours share at least ``overlap`` pixels. In a shared stretch each tile's weight ramps
linearly from its neighbour's edge to its own, and the weights of all tiles covering an output pixel sum
to 1 (:func:`axis_weights`): a model that gives back its input (upscaled) gives back the frame, and tile
borders, where a model sees zero padding, count least.

Memory: :func:`upscale_tiled` works through one row of tiles at a time. Beside the output itself it holds
one band of ``tile x scale`` output rows in float32 (the rows the row of tiles covers) and one batch of
tile outputs; neither grows with the frame's height.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from faceswap.engine.types import ImageBGR
from faceswap.errors import BadOptionError

TileModel = Callable[[NDArray[np.uint8]], NDArray[np.float32]]
"""A batch of ``N x tile x tile x 3`` BGR uint8 tiles in, ``N x tile*scale x tile*scale x 3`` BGR pixel
values (0..255, float32) out; the answer is handed over (the stitching weights it in place)."""


@dataclass(frozen=True)
class TileGrid:
    """Tile size and overlap in input pixels, and the model's scale."""

    tile: int
    overlap: int
    scale: int

    def __post_init__(self) -> None:
        if self.tile < 1 or self.scale < 1 or not 0 <= self.overlap < self.tile:
            raise BadOptionError(
                f"tiles need tile >= 1, scale >= 1 and 0 <= overlap < tile; got tile {self.tile}, "
                f"overlap {self.overlap}, scale {self.scale}"
            )


def tile_starts(length: int, tile: int, overlap: int) -> tuple[int, ...]:
    """Where the tiles along an axis of ``length`` pixels (at least ``tile``) start: every
    ``tile - overlap`` pixels, the last one ending on the edge."""
    if length <= tile:
        return (0,)
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return tuple(starts)


def axis_weights(starts: Sequence[int], tile: int, scale: int) -> NDArray[np.float32]:
    """``len(starts) x tile*scale``: each tile's weight for each of its output pixels along one axis.

    A tile ramps up across the stretch it shares with the tile before and down across the one it shares
    with the tile after (pixel centres, so no weight is 0 inside a tile); the weights are then divided by
    their sum at each output pixel, so they sum to 1 wherever tiles cover.
    """
    size = tile * scale
    count = len(starts)
    centres = np.arange(size, dtype=np.float64) + 0.5
    raw = np.ones((count, size), np.float64)
    for i, start in enumerate(starts):
        if i > 0:
            shared = (starts[i - 1] + tile - start) * scale
            if shared > 0:
                raw[i] = np.minimum(raw[i], np.clip(centres / shared, 0.0, 1.0))
        if i < count - 1:
            shared = (start + tile - starts[i + 1]) * scale
            if shared > 0:
                raw[i] = np.minimum(raw[i], np.clip((size - centres) / shared, 0.0, 1.0))
    end = (starts[-1] + tile) * scale
    total = np.zeros(end, np.float64)
    for i, start in enumerate(starts):
        total[start * scale : start * scale + size] += raw[i]
    weights = np.stack(
        [raw[i] / total[start * scale : start * scale + size] for i, start in enumerate(starts)]
    )
    return weights.astype(np.float32)


def pad_to_tile(image: ImageBGR, tile: int) -> ImageBGR:
    """``image`` with its last row/column repeated until each side is at least ``tile`` pixels."""
    height, width = image.shape[:2]
    bottom, right = max(0, tile - height), max(0, tile - width)
    if not bottom and not right:
        return image
    return np.pad(image, ((0, bottom), (0, right), (0, 0)), mode="edge")


def upscale_tiled(image: ImageBGR, grid: TileGrid, model: TileModel, batch: int = 8) -> ImageBGR:
    """``image`` through ``model`` tile by tile (``batch`` tiles per call at most), stitched into one
    ``scale`` times as wide and high; see the module for the blending and the memory it takes."""
    height, width = image.shape[:2]
    tile, scale = grid.tile, grid.scale
    padded = pad_to_tile(image, tile)
    padded_h, padded_w = padded.shape[:2]
    ys = tile_starts(padded_h, tile, grid.overlap)
    xs = tile_starts(padded_w, tile, grid.overlap)
    weights_y = axis_weights(ys, tile, scale)
    weights_x = axis_weights(xs, tile, scale)
    size = tile * scale
    output = np.empty((padded_h * scale, padded_w * scale, 3), np.uint8)
    band = np.zeros((size, padded_w * scale, 3), np.float32)
    for row, y in enumerate(ys):
        for first in range(0, len(xs), max(1, batch)):
            columns = range(first, min(first + max(1, batch), len(xs)))
            outputs = model(np.stack([padded[y : y + tile, xs[c] : xs[c] + tile] for c in columns]))
            if outputs.shape[1:] != (size, size, 3):
                raise ValueError(f"the model gave tiles of {outputs.shape[1:]}; expected {(size, size, 3)}")
            # weighted in place: the model's answer is ours (a read-only one is copied first)
            weighted = (
                np.asarray(outputs, np.float32) if outputs.flags.writeable else np.array(outputs, np.float32)
            )
            for index, column in enumerate(columns):
                weighted[index] *= np.outer(weights_y[row], weights_x[column])[..., None]
                left = xs[column] * scale
                band[:, left : left + size] += weighted[index]
        done = (ys[row + 1] - y) * scale if row + 1 < len(ys) else size
        top = y * scale
        finished = band[:done]
        np.rint(finished, out=finished)
        np.clip(finished, 0.0, 255.0, out=finished)
        np.copyto(output[top : top + done], finished, casting="unsafe")
        band[: size - done] = band[done:]
        band[size - done :] = 0.0
    if (padded_h, padded_w) == (height, width):
        return output
    return np.ascontiguousarray(output[: height * scale, : width * scale])
