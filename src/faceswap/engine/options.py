"""``SwapOptions``: how one task wants its faces swapped (pixel boost, identity strength, masks).

Plain data, validated here and by the API's models; the engine's parts read it. Defaults reproduce the
swap as it was before these options existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from faceswap.choices import FaceArea, FaceParserName, FaceRegion, MaskType, OccluderName, PixelBoost
from faceswap.errors import BadOptionError

DEFAULT_REGIONS: tuple[FaceRegion, ...] = get_args(FaceRegion)
DEFAULT_AREAS: tuple[FaceArea, ...] = get_args(FaceArea)
DEFAULT_MASK_BLUR = 0.3


@dataclass(frozen=True)
class SwapOptions:
    """Per-task swap settings.

    ``pixel_boost``: the aligned crop's size ("native": the swapper's own). ``weight``: identity
    strength in [0, 1]; the swapped-in identity is ``normalise(w * source + (1 - w) * target)`` of the
    L2-normalised embeddings, so 1 is the source alone (the default) and 0 the target's own face.
    ``masks``: the paste-back mask's parts, combined by their minimum. ``mask_blur`` and
    ``mask_padding`` (top, right, bottom, left, percent of the crop) shape the box mask. ``regions`` are
    what a region mask keeps, ``areas`` what an area mask keeps. ``keep_mouth`` keeps the target's
    inner mouth (68 landmarks needed) when the expressions differ. ``occluder`` and ``face_parser``
    name the models of the occlusion and region masks.
    """

    pixel_boost: PixelBoost = "native"
    weight: float = 1.0
    masks: tuple[MaskType, ...] = ("box",)
    mask_blur: float = DEFAULT_MASK_BLUR
    mask_padding: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    regions: tuple[FaceRegion, ...] = DEFAULT_REGIONS
    areas: tuple[FaceArea, ...] = DEFAULT_AREAS
    keep_mouth: bool = False
    occluder: OccluderName = "xseg_1"
    face_parser: FaceParserName = "bisenet_resnet_34"

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise BadOptionError(f"the swapper weight must be within 0..1; got {self.weight}")
        if not self.masks:
            raise BadOptionError("at least one mask type is needed (box, occlusion, region, area)")
        if not 0.0 <= self.mask_blur <= 1.0:
            raise BadOptionError(f"the mask blur must be within 0..1; got {self.mask_blur}")
        if any(not 0.0 <= p <= 100.0 for p in self.mask_padding):
            raise BadOptionError(f"mask padding is in percent, 0..100; got {self.mask_padding}")

    def crop_size(self, native: int) -> int:
        """The aligned crop's size for a swapper of ``native`` size; ``bad_option`` for a boost that is
        not a multiple of it."""
        if self.pixel_boost == "native":
            return native
        size = int(self.pixel_boost)
        if size % native:
            raise BadOptionError(f"pixel boost {size} is not a multiple of the swapper's {native} px")
        return size

    @property
    def box_only(self) -> bool:
        """Whether the mask is the box alone (no model and no landmarks needed)."""
        return self.masks == ("box",)


DEFAULT_OPTIONS = SwapOptions()
