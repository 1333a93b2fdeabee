"""Geometry: alignment, warp, feathered mask, paste back, letterbox."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.engine.geometry import (
    TEMPLATES,
    estimate_matrix,
    feather_mask,
    invert_matrix,
    letterbox,
    paste_back,
    paste_box,
    paste_mask,
    stretch,
    transform_points,
    warp_face,
)

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
ASTRONAUT_KPS = np.array(
    [[203.2, 101.5], [246.5, 104.2], [225.0, 127.0], [201.0, 139.0], [246.0, 141.0]], dtype=np.float32
)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    image = cv2.imread(str(FACES / "astronaut.png"))
    assert image is not None
    return image


@pytest.mark.parametrize("template", ["arcface_112_v2", "arcface_128", "ffhq_512"])
def test_estimate_matrix_recovers_a_known_similarity(template: str) -> None:
    size = 128
    angle, scale, shift = np.deg2rad(17.0), 0.6, np.array([31.0, -12.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    known = np.hstack([rotation, shift[:, None]])
    destination = TEMPLATES[template] * size  # type: ignore[index]
    # points in the frame that the known transform sends onto the template
    kps = transform_points(destination, invert_matrix(known))
    matrix = estimate_matrix(kps, template, size)  # type: ignore[arg-type]
    np.testing.assert_allclose(matrix, known, atol=1e-3)
    np.testing.assert_allclose(transform_points(kps, matrix), destination, atol=1e-2)


def test_warp_face_puts_the_eyes_on_the_template(astronaut: np.ndarray) -> None:
    crop, matrix = warp_face(astronaut, ASTRONAUT_KPS, "arcface_128", 128)
    assert crop.shape == (128, 128, 3)
    assert crop.dtype == np.uint8
    mapped = transform_points(ASTRONAUT_KPS, matrix)
    assert np.abs(mapped - TEMPLATES["arcface_128"] * 128).max() < 6.0


def test_feather_mask_is_soft_and_zero_at_the_edges() -> None:
    mask = feather_mask(128)
    assert mask.dtype == np.float32
    assert mask.shape == (128, 128)
    assert mask[64, 64] == pytest.approx(1.0, abs=1e-3)
    assert mask[0].max() < 0.05
    assert mask[:, -1].max() < 0.05
    assert 0.05 < mask[64, 12] < 0.95  # a gradient, not a hard step
    padded = feather_mask(128, padding=(30.0, 0.0, 0.0, 0.0))
    assert padded[20, 64] < 0.05 < mask[20, 64]


@pytest.mark.parametrize(("size", "side"), [(128, 128), (256, 128), (512, 128), (1024, 128), (2048, 128)])
def test_paste_mask_is_the_feather_mask_at_a_lower_resolution(size: int, side: int) -> None:
    small = paste_mask(size)
    assert small.shape == (side, side)
    assert not small.flags.writeable
    assert small is paste_mask(size)
    # a hard edge (no blur) would smear over a coarse mask's pixels: kept at full size
    assert paste_mask(size, 0.0).shape == (size, size)


def test_stretch_lines_up_pixel_centres() -> None:
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert stretch(identity, (128, 128), (128, 128)) is identity
    # a 128 px mask over a 512 px crop: its pixel m covers the crop's 4m .. 4m + 3, centred on 4m + 1.5
    matrix = stretch(identity, (512, 512), (128, 128))
    corners = transform_points(np.array([[0.0, 0.0], [127.0, 127.0], [-0.5, -0.5]]), matrix)
    np.testing.assert_allclose(corners, [[1.5, 1.5], [509.5, 509.5], [-0.5, -0.5]], atol=1e-6)


@pytest.mark.parametrize("size", [256, 512, 1024])
@pytest.mark.parametrize("box", [150, 700])
def test_paste_back_through_the_coarse_mask_matches_the_full_one(size: int, box: int) -> None:
    """White pasted on black through each mask, rotated, shrunk and enlarged: the result is 255 times the
    warped weight, so the two agree to 255 x 0.015 levels, and on average to a twentieth of a level."""
    angle, scale = np.deg2rad(23.0), size / box
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = np.column_stack([rotation, [-40.0 * scale, 25.0]])
    frame = np.zeros((box * 2, box * 2, 3), np.uint8)
    white = np.full((size, size, 3), 255, np.uint8)
    full = paste_back(frame, white, feather_mask(size), matrix).astype(int)
    coarse = paste_back(frame, white, paste_mask(size), matrix).astype(int)
    assert full.max() == 255
    assert np.abs(full - coarse).max() <= 4
    assert np.abs(full - coarse).mean() < 0.05


def test_paste_back_of_the_unchanged_crop_reproduces_the_frame(astronaut: np.ndarray) -> None:
    crop, matrix = warp_face(astronaut, ASTRONAUT_KPS, "arcface_128", 128)
    result = paste_back(astronaut, crop, feather_mask(128), matrix)
    x0, y0, x1, y1 = paste_box((128, 128), matrix, astronaut.shape[:2])
    assert 0 < x0 < x1 < astronaut.shape[1]
    outside = np.ones(astronaut.shape[:2], dtype=bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(result[outside], astronaut[outside])
    face = (slice(95, 140), slice(200, 250))
    diff = np.abs(result[face].astype(int) - astronaut[face].astype(int))
    assert diff.mean() < 4.0


def test_paste_back_of_another_crop_changes_the_face(astronaut: np.ndarray) -> None:
    _, matrix = warp_face(astronaut, ASTRONAUT_KPS, "arcface_128", 128)
    white = np.full((128, 128, 3), 255, dtype=np.uint8)
    result = paste_back(astronaut, white, feather_mask(128), matrix)
    assert result[120, 225].min() == 255
    assert not np.array_equal(result, astronaut)


@pytest.mark.parametrize("corner", [(-40.0, -30.0), (470.0, 490.0)])
def test_paste_back_near_the_edges_writes_only_inside_the_clipped_box(corner: tuple[float, float]) -> None:
    frame = np.random.default_rng(0).integers(0, 256, (300, 500, 3), dtype=np.uint8)
    kps = ASTRONAUT_KPS - ASTRONAUT_KPS.mean(axis=0) + np.array(corner, dtype=np.float32)
    _, matrix = warp_face(frame, kps, "arcface_128", 128)
    result = paste_back(frame, np.zeros((128, 128, 3), np.uint8), feather_mask(128), matrix)
    x0, y0, x1, y1 = paste_box((128, 128), matrix, frame.shape[:2])
    assert 0 <= x0 <= x1 <= 500
    assert 0 <= y0 <= y1 <= 300
    changed = np.argwhere(np.any(result != frame, axis=2))
    if len(changed):
        assert changed[:, 0].min() >= y0
        assert changed[:, 0].max() < y1
        assert changed[:, 1].min() >= x0
        assert changed[:, 1].max() < x1


def test_paste_back_entirely_outside_the_frame_is_a_copy() -> None:
    frame = np.full((50, 50, 3), 7, dtype=np.uint8)
    kps = ASTRONAUT_KPS + 1000
    _, matrix = warp_face(frame, kps, "arcface_128", 128)
    result = paste_back(frame, np.zeros((128, 128, 3), np.uint8), feather_mask(128), matrix)
    assert np.array_equal(result, frame)
    assert result is not frame


def test_letterbox_keeps_aspect_top_left(astronaut: np.ndarray) -> None:
    wide = cv2.resize(astronaut, (400, 200))
    canvas, scale = letterbox(wide, (640, 640))
    assert canvas.shape == (640, 640, 3)
    assert scale == pytest.approx(1.6)
    assert canvas[320:].max() == 0
    assert canvas[:320].max() > 0
