"""Colour correction of a pasted face to the target's skin (pure functions).

Reinhard-style statistics transfer in CIE L*a*b*: inside a mask, each channel of the source is shifted and
scaled so its mean and standard deviation match the target's inside the same mask.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.types import ImageBGR
from faceswap.errors import InputError

Mask = NDArray[np.uint8]
"""An ``HxW`` uint8 mask; non-zero pixels are inside."""

MIN_PIXELS = 16
"""Fewer masked pixels than this give no reliable statistics: the source is returned unchanged."""

_MAX_GAIN = 3.0  # the std ratio is clamped to [1/_MAX_GAIN, _MAX_GAIN] so flat regions do not explode
_EPS = 1e-3


def to_lab(image: ImageBGR) -> NDArray[np.float32]:
    """Float L*a*b* (L in [0, 100], a and b about [-128, 127])."""
    return np.asarray(cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB), dtype=np.float32)


def from_lab(lab: NDArray[np.float32]) -> ImageBGR:
    bgr = cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
    return np.clip(np.round(bgr * 255.0), 0, 255).astype(np.uint8)


def lab_stats(lab: NDArray[np.float32], inside: NDArray[np.bool_]) -> tuple[NDArray[np.float32], ...]:
    """Per-channel mean and standard deviation of the masked pixels."""
    values = lab[inside]
    return values.mean(axis=0).astype(np.float32), values.std(axis=0).astype(np.float32)


def transfer_colour(source: ImageBGR, target: ImageBGR, mask: Mask) -> ImageBGR:
    """``source`` recoloured so its L*a*b* mean and std inside ``mask`` match ``target``'s there.

    The whole image is transformed (the caller composites only where it needs to).
    """
    if source.shape != target.shape or mask.shape != source.shape[:2]:
        raise InputError(f"shapes differ: source {source.shape}, target {target.shape}, mask {mask.shape}")
    inside = mask > 0
    if int(inside.sum()) < MIN_PIXELS:
        return source.copy()
    src_lab = to_lab(source)
    src_mean, src_std = lab_stats(src_lab, inside)
    tgt_mean, tgt_std = lab_stats(to_lab(target), inside)
    gain = np.clip((tgt_std + _EPS) / (src_std + _EPS), 1.0 / _MAX_GAIN, _MAX_GAIN).astype(np.float32)
    return from_lab((src_lab - src_mean) * gain + tgt_mean)
