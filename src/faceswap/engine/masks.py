"""Paste-back masks as pure array functions: softening, combining, landmark areas, the kept mouth.

Masks are ``HxW`` float32 in [0, 1] (1: the swapped pixel wins). Several mask types combine by their
minimum, so each can only take pixels away (an occluding hand, the hair outside the chosen regions).
Model masks (occlusion, region) and area masks are softened: a Gaussian blur of sigma 5 px, then
``(clip(m, 0.5, 1) - 0.5) * 2``, which keeps the inside at 1 and fades over the blurred edge.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.choices import FaceArea
from faceswap.engine.types import ImageBGR, Points

Mask = NDArray[np.float32]

SOFTEN_SIGMA = 5.0
AREA_POINTS: dict[FaceArea, tuple[int, ...]] = {
    "upper-face": (0, 1, 15, 16, *range(17, 31), *range(36, 48)),
    "lower-face": (*range(2, 15), *range(29, 36), *range(48, 60)),
    "mouth": tuple(range(48, 60)),
}
"""Points of the 68-point scheme (iBUG 300-W) outlining each area (its convex hull): the upper face from
the eyebrows and the jaw's top ends to the nose bridge, with the eyes; the lower face from the nose down
round the jaw; the mouth by its outer lip line."""
INNER_MOUTH = tuple(range(60, 68))
"""The inner lip line: what ``keep_mouth`` keeps of the target."""


def soften(mask: Mask, sigma: float = SOFTEN_SIGMA) -> Mask:
    """``mask`` blurred, then its upper half stretched back to [0, 1] (see the module docstring)."""
    blurred = np.asarray(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), np.float32)
    return ((np.clip(blurred, 0.5, 1.0) - 0.5) * 2.0).astype(np.float32)


def combine(masks: Sequence[Mask]) -> Mask:
    """The element-wise minimum of ``masks`` (all of one shape)."""
    result = np.asarray(masks[0], np.float32).copy()
    for mask in masks[1:]:
        np.minimum(result, mask, out=result)
    return result


def area_mask(landmarks: Points, size: int, areas: Sequence[FaceArea]) -> Mask:
    """1 inside the convex hull of each of ``areas`` (68 ``landmarks`` in crop pixels), softened."""
    mask = np.zeros((size, size), np.float32)
    for area in areas:
        hull = cv2.convexHull(np.round(landmarks[list(AREA_POINTS[area])]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1.0)
    return soften(mask)


def keep_region(result: ImageBGR, original: ImageBGR, landmarks: Points, points: Sequence[int]) -> ImageBGR:
    """``result`` with the convex hull of ``landmarks[points]`` (frame pixels) taken back from
    ``original``, fading out over a tenth of the hull's size outside it. Only the hull's box changes."""
    hull = cv2.convexHull(np.round(landmarks[list(points)]).astype(np.int32))
    x, y, w, h = cv2.boundingRect(hull)
    feather = max(1, round(0.1 * max(w, h)))
    height, width = result.shape[:2]
    x0, y0 = max(0, x - 3 * feather), max(0, y - 3 * feather)
    x1, y1 = min(width, x + w + 3 * feather), min(height, y + h + 3 * feather)
    if x1 <= x0 or y1 <= y0:
        return result
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(mask, hull - (x0, y0), 1.0)
    # grown by the feather first, so the fade lies outside the hull and a thin hull stays whole inside
    grown = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * feather + 1, 2 * feather + 1)))
    mask = cv2.GaussianBlur(grown, (0, 0), feather / 2.0)[..., None]
    out = result.copy()
    box = (slice(y0, y1), slice(x0, x1))
    blended = result[box].astype(np.float32) * (1.0 - mask) + original[box].astype(np.float32) * mask
    out[box] = np.rint(blended).astype(np.uint8)
    return out
