"""Piecewise-affine warping over a Delaunay triangulation (pure functions).

Each triangle of the destination points gets the affine map that takes the matching source triangle onto
it; only the triangle's bounding rectangle of the output is computed (``cv2.warpAffine`` works per output
pixel, so the cost is the size of the face, not of the source image).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.types import ImageBGR, Matrix, Points
from faceswap.errors import InputError

Triangles = NDArray[np.int32]
"""A ``Tx3`` array of indices into a point set."""

_MATCH_TOLERANCE = 0.5  # pixels between a Subdiv2D vertex and the input point it stands for
_MIN_AREA = 1e-3  # square pixels; smaller triangles are degenerate
_SHIFT = 4  # fractional bits of the polygon corners handed to fillConvexPoly


def triangulate(points: Points) -> Triangles:
    """The Delaunay triangles of ``points`` as index triples (``cv2.Subdiv2D``); duplicates are merged."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if len(pts) < 3:
        raise InputError(f"a triangulation needs at least 3 points, got {len(pts)}")
    x0 = math.floor(float(pts[:, 0].min())) - 1
    y0 = math.floor(float(pts[:, 1].min())) - 1
    x1 = math.ceil(float(pts[:, 0].max())) + 2
    y1 = math.ceil(float(pts[:, 1].max())) + 2
    subdiv = cv2.Subdiv2D((x0, y0, x1 - x0, y1 - y0))
    for x, y in pts:
        subdiv.insert((float(x), float(y)))
    corners = np.asarray(subdiv.getTriangleList(), dtype=np.float32).reshape(-1, 3, 2)
    if len(corners) == 0:
        return np.zeros((0, 3), dtype=np.int32)
    # Map each returned corner back to the index of the nearest input point; corners that are not input
    # points are Subdiv2D's virtual outer vertices, and their triangles are dropped.
    distances = np.linalg.norm(corners[:, :, None, :] - pts[None, None, :, :], axis=3)
    indices = distances.argmin(axis=2)
    matched = np.take_along_axis(distances, indices[:, :, None], axis=2)[:, :, 0] <= _MATCH_TOLERANCE
    keep = matched.all(axis=1)
    keep &= (
        (indices[:, 0] != indices[:, 1]) & (indices[:, 1] != indices[:, 2]) & (indices[:, 0] != indices[:, 2])
    )
    return np.asarray(indices[keep], dtype=np.int32)


def triangle_area(corners: Points) -> float:
    """The unsigned area of a triangle given as a 3x2 array."""
    (ax, ay), (bx, by), (cx, cy) = (tuple(float(v) for v in p) for p in corners)
    return abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) / 2.0


def triangle_affine(src: Points, dst: Points) -> Matrix:
    """The 2x3 affine matrix taking the 3 ``src`` points onto the 3 ``dst`` points."""
    matrix = cv2.getAffineTransform(np.asarray(src, dtype=np.float32), np.asarray(dst, dtype=np.float32))
    return np.asarray(matrix, dtype=np.float64)


def warp_triangles(
    source: ImageBGR,
    source_points: Points,
    target_points: Points,
    triangles: Triangles,
    canvas: ImageBGR,
) -> ImageBGR:
    """A copy of ``canvas`` with every triangle of ``target_points`` filled from ``source``.

    Triangle ``t`` of the output is the affine image of the source triangle with the same indices.
    Pixels outside every triangle keep the canvas's values. Points may lie outside either image: source
    pixels beyond the border are reflected, output pixels beyond the canvas are skipped.
    """
    if source_points.shape != target_points.shape:
        raise InputError(f"point sets differ in shape: {source_points.shape} vs {target_points.shape}")
    out = canvas.copy()
    height, width = out.shape[:2]
    src_pts = np.asarray(source_points, dtype=np.float32)
    dst_pts = np.asarray(target_points, dtype=np.float32)
    for tri in triangles:
        dst_tri = dst_pts[tri]
        x, y, w, h = cv2.boundingRect(dst_tri)
        left, top = max(x, 0), max(y, 0)
        right, bottom = min(x + w, width), min(y + h, height)
        if right <= left or bottom <= top:
            continue
        src_tri = src_pts[tri]
        if triangle_area(src_tri) < _MIN_AREA or triangle_area(dst_tri) < _MIN_AREA:
            continue  # collinear corners: no affine map (and no pixels) to speak of
        local = dst_tri - np.array([left, top], dtype=np.float32)
        matrix = triangle_affine(src_tri, local)
        size = (right - left, bottom - top)
        patch = cv2.warpAffine(
            source, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
        )
        mask = np.zeros((size[1], size[0]), dtype=np.uint8)
        fixed = np.round(local * (1 << _SHIFT)).astype(np.int32)
        cv2.fillConvexPoly(mask, fixed, 1, lineType=cv2.LINE_8, shift=_SHIFT)
        region = out[top:bottom, left:right]
        inside = mask.astype(bool)
        region[inside] = patch[inside]
    return out
