"""Keeping the target's inner mouth (``SwapOptions.keep_mouth``), after any engine's swap.

When the source and the target do not share an expression, a swapped open mouth looks wrong (teeth and
tongue come out smeared, the classic engine's worst case). With ``keep_mouth`` the inner lip line's hull
of the target's 68 landmarks is taken back from the frame as it was before the swap, through a
feathered edge (:func:`faceswap.engine.masks.keep_region`).
"""

from __future__ import annotations

from collections.abc import Sequence

from faceswap.engine.landmarks68 import has_68
from faceswap.engine.masks import INNER_MOUTH, keep_region
from faceswap.engine.options import SwapOptions
from faceswap.engine.types import Face, Identity, ImageBGR
from faceswap.errors import BadOptionError


def keep_mouth_originals(
    frames: Sequence[ImageBGR], plans: Sequence[Sequence[tuple[Face, Identity]]], options: SwapOptions
) -> dict[int, ImageBGR]:
    """Copies of the frames whose mouths will be kept (by index), taken before they are swapped; empty
    unless ``keep_mouth``. ``bad_option`` when a face to swap has no 68 landmarks."""
    if not options.keep_mouth:
        return {}
    for plan in plans:
        for face, _ in plan:
            if not has_68(face.landmarks):
                raise BadOptionError("keeping the mouth needs 68 landmarks: choose a landmarker (2dfan4)")
    return {i: frames[i].copy() for i, plan in enumerate(plans) if plan}


def keep_mouths(result: ImageBGR, original: ImageBGR, faces: Sequence[Face]) -> ImageBGR:
    """``result`` with each face's inner mouth taken back from ``original``."""
    for face in faces:
        if face.landmarks is not None:
            result = keep_region(result, original, face.landmarks, INNER_MOUTH)
    return result
