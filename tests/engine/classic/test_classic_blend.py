"""Colour transfer, face masks and blending (pure functions)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.engine.classic.blend import (
    alpha_blend,
    can_clone,
    erode_mask,
    feather_mask,
    hull_mask,
    seamless_clone,
)
from faceswap.engine.classic.colour import to_lab, transfer_colour
from faceswap.errors import InputError


def textured(
    seed: int, base: tuple[int, int, int], spread: float, shape: tuple[int, int] = (80, 90)
) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, spread, (*shape, 3))
    smooth = cv2.GaussianBlur(noise.astype(np.float32), (0, 0), 1.5)
    return np.clip(np.float32(base) + smooth * 3, 0, 255).astype(np.uint8)


def disc(shape: tuple[int, int], center: tuple[int, int], radius: int) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.circle(mask, center, radius, 255, -1)
    return mask


def test_transfer_colour_matches_the_targets_statistics_in_the_mask() -> None:
    source = textured(1, (60, 90, 200), 6.0)  # reddish
    target = textured(2, (170, 150, 120), 3.0)  # bluish, flatter
    mask = disc(source.shape[:2], (45, 40), 30)
    inside = mask > 0
    out = transfer_colour(source, target, mask)
    before = np.abs(to_lab(source)[inside].mean(0) - to_lab(target)[inside].mean(0)).max()
    out_lab, tgt_lab = to_lab(out)[inside], to_lab(target)[inside]
    np.testing.assert_allclose(out_lab.mean(0), tgt_lab.mean(0), atol=1.5)
    np.testing.assert_allclose(out_lab.std(0), tgt_lab.std(0), rtol=0.2, atol=0.5)
    assert before > 20


def test_transfer_colour_with_an_empty_mask_changes_nothing() -> None:
    source = textured(1, (60, 90, 200), 6.0)
    target = textured(2, (170, 150, 120), 3.0)
    out = transfer_colour(source, target, np.zeros(source.shape[:2], np.uint8))
    assert np.array_equal(out, source)
    with pytest.raises(InputError):
        transfer_colour(source, target[:10], np.zeros(source.shape[:2], np.uint8))


def test_hull_mask_covers_the_convex_hull() -> None:
    points = np.float32([[10, 10], [50, 12], [30, 40], [30, 20]])
    mask = hull_mask(points, (60, 60))
    assert mask[20, 30] == 255
    assert mask[50, 50] == 0
    assert int((mask > 0).sum()) == pytest.approx(cv2.contourArea(points[:3]), rel=0.15)


def test_feathered_mask_stays_inside_and_is_solid_in_the_core() -> None:
    mask = disc((120, 120), (60, 60), 40)
    alpha = feather_mask(mask, erode_px=3, blur_px=6)
    assert alpha.dtype == np.float32
    assert alpha[mask == 0].max() == 0.0
    assert alpha[60, 60] == pytest.approx(1.0)
    # Between the rim and the core the weight rises monotonically.
    ray = alpha[60, 60 + 40 - 1 : 60 + 40 - 20 : -1]
    assert (np.diff(ray) >= -1e-6).all()
    assert 0.0 < ray[8] < 1.0
    assert erode_mask(mask, 5).sum() < mask.sum()


def test_alpha_blend_is_exact_at_zero_and_one() -> None:
    source = textured(3, (200, 30, 30), 4.0)
    target = textured(4, (30, 30, 200), 4.0)
    alpha = np.zeros(source.shape[:2], np.float32)
    alpha[20:40, 20:40] = 1.0
    alpha[50:60, 50:60] = 0.5
    out = alpha_blend(source, target, alpha)
    assert np.array_equal(out[alpha == 0], target[alpha == 0])
    assert np.array_equal(out[20:40, 20:40], source[20:40, 20:40])
    mixed = (source[55, 55].astype(int) + target[55, 55].astype(int)) / 2
    assert np.abs(out[55, 55] - mixed).max() <= 1


def test_seamless_clone_keeps_the_source_gradients_at_the_same_place() -> None:
    target = textured(5, (120, 120, 120), 2.0, (120, 140))
    source = target.copy()
    source[45:55, 55:65] = 250  # a bright square the clone must carry over, in place
    mask = disc(target.shape[:2], (60, 50), 30)
    assert can_clone(mask)
    out = seamless_clone(source, target, mask)
    ys, xs = np.nonzero(out.min(axis=2) > 200)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (55, 64, 45, 54)
    x, y, w, h = cv2.boundingRect(mask)
    outside = np.ones(mask.shape, bool)
    outside[y : y + h, x : x + w] = False
    assert np.array_equal(out[outside], target[outside])


def test_clone_needs_a_mask_clear_of_the_border() -> None:
    assert not can_clone(np.zeros((50, 50), np.uint8))
    assert not can_clone(disc((100, 100), (20, 50), 20))
    assert can_clone(disc((100, 100), (50, 50), 20))
    image = np.zeros((100, 100, 3), np.uint8)
    with pytest.raises(InputError):
        seamless_clone(image, image, disc((100, 100), (10, 50), 20))
