"""Face tracking between frames: overlap matching and key-point smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.engine.tracking import box_iou, match_previous, smooth_face, smooth_faces
from faceswap.engine.types import Face


def face(x: float, y: float = 0.0, size: float = 100.0, jitter: float = 0.0) -> Face:
    box = np.array([x, y, x + size, y + size], dtype=np.float32)
    kps = np.array([[x + 30, y + 40], [x + 70, y + 40], [x + 50, y + 60], [x + 35, y + 80], [x + 65, y + 80]])
    return Face(box=box, kps=(kps + jitter).astype(np.float32), score=0.9)


def test_iou_of_identical_disjoint_and_half_overlapping_boxes() -> None:
    assert box_iou(face(0), face(0)) == pytest.approx(1.0)
    assert box_iou(face(0), face(500)) == 0.0
    assert box_iou(face(0), face(50)) == pytest.approx(50 / 150)


def test_match_previous_picks_the_overlapping_face_only() -> None:
    previous = [face(0), face(300)]
    assert match_previous(face(10), previous) is previous[0]
    assert match_previous(face(290), previous) is previous[1]
    assert match_previous(face(150), previous) is None


def test_smoothing_reduces_jitter_but_follows_real_motion() -> None:
    steady = face(0)
    jittered = face(0, jitter=3.0)
    smoothed = smooth_face(jittered, steady, strength=0.5)
    error_before = np.abs(jittered.kps - steady.kps).mean()
    error_after = np.abs(smoothed.kps - steady.kps).mean()
    assert error_after < error_before * 0.75
    moved = face(40)  # moved by 40 % of its size: real motion, no pull back
    assert np.array_equal(smooth_face(moved, steady, strength=0.5).kps, moved.kps)
    assert np.array_equal(smooth_face(jittered, None, strength=0.5).kps, jittered.kps)
    assert np.array_equal(smooth_face(jittered, steady, strength=0.0).kps, jittered.kps)


def test_smooth_faces_pairs_each_face_with_its_own_past() -> None:
    previous = [face(0), face(300)]
    current = [face(0, jitter=2.0), face(300, jitter=-2.0)]
    smoothed = smooth_faces(current, previous, strength=0.5)
    assert np.abs(smoothed[0].kps - previous[0].kps).mean() < 2.0
    assert np.abs(smoothed[1].kps - previous[1].kps).mean() < 2.0
