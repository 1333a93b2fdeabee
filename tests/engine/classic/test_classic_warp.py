"""Delaunay triangulation and piecewise-affine warping on synthetic points."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.engine.classic.warp import triangle_area, triangulate, warp_triangles
from faceswap.errors import InputError


def random_points(seed: int, count: int = 68, low: float = 40.0, high: float = 200.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, (count, 2)).astype(np.float32)


def pattern(size: int = 256) -> np.ndarray:
    noise = np.random.default_rng(7).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return np.asarray(cv2.GaussianBlur(noise, (0, 0), 3), dtype=np.uint8)


def hull_area(points: np.ndarray) -> float:
    return float(cv2.contourArea(cv2.convexHull(points)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_triangulation_tiles_the_convex_hull(seed: int) -> None:
    points = random_points(seed)
    triangles = triangulate(points)
    assert triangles.dtype == np.int32
    assert triangles.shape[1] == 3
    assert triangles.min() >= 0
    assert triangles.max() < len(points)
    # A triangulation of n points in general position with h on the hull has 2n - 2 - h triangles.
    on_hull = len(cv2.convexHull(points, returnPoints=False))
    assert len(triangles) == 2 * len(points) - 2 - on_hull
    total = sum(triangle_area(points[t]) for t in triangles)
    assert total == pytest.approx(hull_area(points), rel=1e-4)
    assert len({tuple(sorted(t)) for t in triangles.tolist()}) == len(triangles)


def test_triangulation_is_delaunay() -> None:
    points = random_points(3, count=40).astype(np.float64)
    for a, b, c in triangulate(points.astype(np.float32)):
        # No other point lies strictly inside the circumcircle of a Delaunay triangle.
        (ax, ay), (bx, by), (cx, cy) = points[a], points[b], points[c]
        d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
        ux = ((ax**2 + ay**2) * (by - cy) + (bx**2 + by**2) * (cy - ay) + (cx**2 + cy**2) * (ay - by)) / d
        uy = ((ax**2 + ay**2) * (cx - bx) + (bx**2 + by**2) * (ax - cx) + (cx**2 + cy**2) * (bx - ax)) / d
        radius = np.hypot(ax - ux, ay - uy)
        others = np.delete(points, [a, b, c], axis=0)
        assert (np.hypot(others[:, 0] - ux, others[:, 1] - uy) >= radius - 1e-6).all()


def test_triangulation_merges_duplicates_and_needs_three_points() -> None:
    square = np.float32([[0, 0], [10, 0], [10, 10], [0, 10]])
    triangles = triangulate(np.vstack([square, square[:2]]))
    assert len(triangles) == 2
    assert set(triangles.ravel().tolist()) <= {0, 1, 2, 3}
    with pytest.raises(InputError):
        triangulate(square[:2])


@pytest.mark.parametrize("seed", [0, 5])
def test_affine_related_points_warp_like_the_affine(seed: int) -> None:
    source = pattern()
    src_points = random_points(seed)
    affine = np.array([[0.9, 0.25, 12.0], [-0.2, 1.1, -6.0]])
    dst_points = (src_points @ affine[:, :2].T + affine[:, 2]).astype(np.float32)
    canvas = np.zeros_like(source)
    out = warp_triangles(source, src_points, dst_points, triangulate(dst_points), canvas)
    expected = cv2.warpAffine(source, affine, (256, 256), borderMode=cv2.BORDER_REFLECT_101)

    hull = np.zeros((256, 256), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.round(dst_points).astype(np.int32)), 1)
    inner = cv2.erode(hull, np.ones((5, 5), np.uint8)) > 0
    diff = np.abs(out.astype(np.int16) - expected.astype(np.int16))
    assert diff[inner].max() <= 2
    assert diff[inner].mean() < 0.1
    # Outside the triangles the canvas is untouched.
    outer = cv2.dilate(hull, np.ones((5, 5), np.uint8)) == 0
    assert not out[outer].any()
    assert not canvas.any()  # the canvas itself is not modified


def test_warp_moves_a_marker_with_its_triangle() -> None:
    source = np.zeros((100, 100, 3), np.uint8)
    source[30:34, 30:34] = 255
    src_points = np.float32([[10, 10], [90, 10], [10, 90], [90, 90]])
    dst_points = src_points * 0.5 + np.float32([40, 5])  # half size, moved right
    out = warp_triangles(source, src_points, dst_points, triangulate(dst_points), np.zeros_like(source))
    ys, xs = np.nonzero(out[:, :, 0] > 128)
    assert 54 <= xs.mean() <= 57
    assert 19 <= ys.mean() <= 22


def test_points_outside_the_canvas_are_clipped() -> None:
    source = pattern(128)
    src_points = np.float32([[10, 10], [110, 10], [10, 110], [110, 110], [60, 60]])
    dst_points = src_points + np.float32([-40, 30])
    canvas = np.zeros((100, 100, 3), np.uint8)
    out = warp_triangles(source, src_points, dst_points, triangulate(dst_points), canvas)
    assert out.shape == canvas.shape
    assert out[40:, :60].any()
    with pytest.raises(InputError):
        warp_triangles(source, src_points, dst_points[:4], triangulate(dst_points), canvas)
