"""The models a paste-back mask may need, and the mask of each swapped crop.

An occluder (XSeg) says what covers the face, a face parser (BiSeNet) which pixels belong to the chosen
regions, both on the target's crop before the swap: the mask protects what the target shows (a hand, a
hair strand, glasses), which a swapped crop may no longer show (FaceFusion parses the swapped crop). An
area mask needs the face's 68 landmarks.
The parts combine by their minimum (:mod:`faceswap.engine.masks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from faceswap.choices import FaceRegion
from faceswap.engine.geometry import feather_mask
from faceswap.engine.masks import Mask, area_mask, combine
from faceswap.engine.options import SwapOptions
from faceswap.engine.types import ImageBGR, Points
from faceswap.errors import BadOptionError


class Occluder(Protocol):
    def masks(self, crops: Sequence[ImageBGR]) -> list[Mask]:
        """Per crop: 1 where the face is visible, 0 where something covers it."""
        ...


class FaceParser(Protocol):
    def masks(self, crops: Sequence[ImageBGR], regions: Sequence[FaceRegion]) -> list[Mask]:
        """Per crop: 1 on the pixels of ``regions``."""
        ...


@dataclass(frozen=True)
class MaskModels:
    """The loaded models the chosen mask types need (None where not chosen)."""

    occluder: Occluder | None = None
    parser: FaceParser | None = None


NO_MASK_MODELS = MaskModels()


def crop_masks(
    options: SwapOptions,
    models: MaskModels,
    before: Sequence[ImageBGR],
    after: Sequence[ImageBGR],
    landmarks: Sequence[Points | None],
) -> list[Mask]:
    """The paste-back mask of each swapped crop (``before``: the target's crops, ``after``: the
    swapped ones, ``landmarks``: each face's 68 points in crop pixels or None)."""
    size = before[0].shape[0]
    parts: list[list[Mask]] = []
    if "box" in options.masks:
        box = feather_mask(size, options.mask_blur, options.mask_padding)
        parts.append([box] * len(before))
    if "occlusion" in options.masks:
        if models.occluder is None:
            raise BadOptionError("an occlusion mask needs an occluder model (xseg_1, xseg_2 or xseg_3)")
        parts.append(models.occluder.masks(before))
    if "region" in options.masks:
        if models.parser is None:
            raise BadOptionError("a region mask needs a face parser model (bisenet_resnet_18 or _34)")
        parts.append(models.parser.masks(before, options.regions))
    if "area" in options.masks:
        if any(points is None for points in landmarks):
            raise BadOptionError("an area mask needs 68 landmarks: choose a landmarker (landmarker 2dfan4)")
        parts.append([area_mask(points, size, options.areas) for points in landmarks if points is not None])
    return [combine([part[i] for part in parts]) for i in range(len(before))]
