"""Tiling a frame and stitching a model's tiles back: exact for an identity-like model, seams blended,
memory bounded by the output and one band of tiles."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from numpy.typing import NDArray

from faceswap.engine.tiles import TileGrid, axis_weights, tile_starts, upscale_tiled
from faceswap.errors import BadOptionError


def repeat_model(scale: int):  # type: ignore[no-untyped-def]
    """An identity-like upscaler: every pixel repeated ``scale`` x ``scale`` times."""

    def model(tiles: NDArray[np.uint8]) -> NDArray[np.float32]:
        return np.repeat(np.repeat(tiles, scale, axis=1), scale, axis=2).astype(np.float32)

    return model


def test_tiles_start_every_step_and_the_last_ends_on_the_edge() -> None:
    assert tile_starts(64, 64, 16) == (0,)
    assert tile_starts(10, 64, 16) == (0,)
    assert tile_starts(100, 64, 16) == (0, 36)
    assert tile_starts(200, 64, 16) == (0, 48, 96, 136)
    for length in range(64, 400, 7):
        starts = tile_starts(length, 64, 16)
        assert starts[-1] + 64 == length
        assert all(b - a <= 48 for a, b in itertools.pairwise(starts))  # overlap >= 16


@pytest.mark.parametrize(("length", "scale"), [(64, 1), (100, 2), (517, 4), (200, 3)])
def test_weights_sum_to_one_everywhere(length: int, scale: int) -> None:
    starts = tile_starts(length, 64, 16)
    weights = axis_weights(starts, 64, scale)
    total = np.zeros(length * scale)
    for start, weight in zip(starts, weights, strict=True):
        assert (weight > 0).all()
        total[start * scale : (start + 64) * scale] += weight
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


@pytest.mark.parametrize("scale", [1, 2, 4])
@pytest.mark.parametrize("shape", [(37, 50), (64, 64), (300, 517), (1, 1), (600, 90)])
def test_an_identity_like_model_gives_back_the_frame(shape: tuple[int, int], scale: int) -> None:
    image = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    result = upscale_tiled(image, TileGrid(tile=64, overlap=16, scale=scale), repeat_model(scale), batch=3)
    expected = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    assert result.shape == expected.shape
    assert result.flags.c_contiguous
    assert np.array_equal(result, expected)


def test_seams_are_blended_across_the_overlap() -> None:
    """Each tile comes back brighter by 20 levels than the tile before it: where two tiles meet the output
    ramps from one to the other across their shared pixels instead of jumping."""
    image = np.full((64, 200, 3), 100, np.uint8)
    calls: list[int] = []

    def stepped(tiles: NDArray[np.uint8]) -> NDArray[np.float32]:
        out = []
        for tile in tiles:
            out.append(tile.astype(np.float32) + 20.0 * len(calls))
            calls.append(1)
        return np.stack(out)

    grid = TileGrid(tile=64, overlap=16, scale=1)
    result = upscale_tiled(image, grid, stepped, batch=1)
    row = result[32, :, 0].astype(int)
    starts = tile_starts(200, 64, 16)  # (0, 48, 96, 136)
    assert row[0] == 100
    assert row[-1] == 100 + 20 * (len(starts) - 1)
    assert (np.diff(row) >= 0).all()
    assert np.abs(np.diff(row)).max() <= 2  # no seam: at most 20 levels spread over 16 pixels
    first_shared = slice(starts[1], starts[0] + 64)  # 48..63
    assert len(set(row[first_shared])) > 8  # a ramp, not a step


def test_a_tile_pass_holds_one_band_beside_the_output() -> None:
    """Peak memory over the output's own size stays the same for a frame 4 times as high."""
    grid = TileGrid(tile=64, overlap=16, scale=2)
    model = repeat_model(2)

    def extra_peak(height: int) -> int:
        image = np.zeros((height, 256, 3), np.uint8)
        tracemalloc.start()
        result = upscale_tiled(image, grid, model, batch=4)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak - result.nbytes

    small, large = extra_peak(256), extra_peak(1024)
    band = 64 * 2 * 256 * 2 * 3 * 4  # one band of float32 output rows
    assert small < 4 * band
    assert large < small + band // 4


def test_a_model_answering_the_wrong_size_is_an_error() -> None:
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="tiles of"):
        upscale_tiled(image, TileGrid(64, 16, 2), repeat_model(4))


def test_tile_grids_are_checked() -> None:
    with pytest.raises(BadOptionError):
        TileGrid(tile=64, overlap=64, scale=2)
    with pytest.raises(BadOptionError):
        TileGrid(tile=64, overlap=8, scale=0)
