"""Face masks and blending of a warped face into its target (pure functions).

Every mask here lies inside the convex hull of the target's landmarks, so blending never changes a pixel
outside that hull.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.classic.colour import Mask
from faceswap.engine.types import ImageBGR, Points
from faceswap.errors import InputError

Alpha = NDArray[np.float32]
"""An ``HxW`` float32 weight map in [0, 1]."""

CLONE_BORDER = 2
"""seamlessClone needs this many pixels between the mask's bounding box and the image border."""


def hull_mask(points: Points, shape: tuple[int, int]) -> Mask:
    """A ``shape`` (height, width) mask, 255 inside the convex hull of ``points``, 0 elsewhere."""
    mask = np.zeros(shape, dtype=np.uint8)
    hull = cv2.convexHull(np.round(np.asarray(points, dtype=np.float32)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255, lineType=cv2.LINE_8)
    return mask


def erode_mask(mask: Mask, pixels: int) -> Mask:
    """``mask`` shrunk by ``pixels`` (elliptical structuring element); ``pixels <= 0`` returns a copy."""
    if pixels <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return np.asarray(cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0), dtype=np.uint8)


def feather_mask(mask: Mask, erode_px: int, blur_px: int) -> Alpha:
    """A soft weight map inside ``mask``: eroded by ``erode_px + blur_px``, then blurred by ``blur_px``.

    A box-shaped Gaussian kernel of radius ``blur_px`` spreads the eroded mask by at most ``blur_px``,
    so the result is zero wherever ``mask`` is zero.
    """
    blur_px = max(blur_px, 0)
    core = erode_mask(mask, max(erode_px, 0) + blur_px)
    alpha = core.astype(np.float32) / 255.0
    if blur_px > 0:
        size = 2 * blur_px + 1
        blurred = cv2.GaussianBlur(alpha, (size, size), sigmaX=blur_px / 2.0, borderType=cv2.BORDER_CONSTANT)
        alpha = np.asarray(blurred, dtype=np.float32)
    alpha[mask == 0] = 0.0
    return np.asarray(np.clip(alpha, 0.0, 1.0), dtype=np.float32)


def can_clone(mask: Mask) -> bool:
    """Whether ``seamless_clone`` can use ``mask``: non-empty and clear of the image border."""
    if not mask.any():
        return False
    x, y, w, h = cv2.boundingRect(mask)
    height, width = mask.shape
    return (
        x >= CLONE_BORDER
        and y >= CLONE_BORDER
        and x + w <= width - CLONE_BORDER
        and y + h <= height - CLONE_BORDER
    )


def seamless_clone(source: ImageBGR, target: ImageBGR, mask: Mask) -> ImageBGR:
    """Poisson (``cv2.seamlessClone``, NORMAL_CLONE) blend of ``source`` into ``target`` in place.

    ``source`` and ``target`` are aligned images of the same size; the masked region of ``source`` lands
    at the same pixels of ``target``. OpenCV may also alter pixels just outside the mask (within its
    bounding box), so composite the result through a mask inside this one (:func:`feather_mask`).
    Call only when :func:`can_clone` holds.
    """
    if source.shape != target.shape or mask.shape != target.shape[:2]:
        raise InputError(f"shapes differ: source {source.shape}, target {target.shape}, mask {mask.shape}")
    if not can_clone(mask):
        raise InputError("the clone mask is empty or touches the image border")
    x, y, w, h = cv2.boundingRect(mask)
    # seamlessClone crops the mask's bounding box out of source and centres it at `center` in target.
    center = (x + w // 2, y + h // 2)
    return np.asarray(cv2.seamlessClone(source, target, mask, center, cv2.NORMAL_CLONE), dtype=np.uint8)


def alpha_blend(source: ImageBGR, target: ImageBGR, alpha: Alpha) -> ImageBGR:
    """``source * alpha + target * (1 - alpha)``; pixels where ``alpha`` is 0 are ``target``'s exactly."""
    if source.shape != target.shape or alpha.shape != target.shape[:2]:
        raise InputError(f"shapes differ: source {source.shape}, target {target.shape}, alpha {alpha.shape}")
    weight = alpha[:, :, None]
    mixed = source.astype(np.float32) * weight + target.astype(np.float32) * (1.0 - weight)
    out = np.clip(np.round(mixed), 0, 255).astype(np.uint8)
    untouched = alpha <= 0.0
    out[untouched] = target[untouched]
    return out
