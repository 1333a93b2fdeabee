"""How each face swapper is fed and read: typed data, one :class:`SwapperSpec` per swapper model.

The generic ONNX swapper (``faceswap.engine.onnx.swapper``) reads everything family-specific from here:
the alignment template and crop size of the target, the target's pixel normalisation (RGB,
``(x / 255 - mean) / std``), whether the output comes back in that normalised space (``denormalise``: the
output is ``y * std + mean`` before it is clipped to [0, 1]) or already in [0, 1], and what the ``source``
input is (:data:`faceswap.choices.SwapperSource`). The conventions are those of the models' published
ONNX exports as FaceFusion feeds them (its ``face_swapper`` processor, 3.8); the files, sizes and licences
are in :mod:`faceswap.models.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast, get_args

from faceswap.choices import (
    EmbeddingConverterName,
    ModelName,
    PixelBoost,
    SwapperFamily,
    SwapperName,
    SwapperSource,
    WarpTemplateName,
)

Triple = tuple[float, float, float]

UNIT: tuple[Triple, Triple] = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
"""RGB in [0, 1]."""
SYMMETRIC: tuple[Triple, Triple] = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
"""RGB in [-1, 1]."""
IMAGENET: tuple[Triple, Triple] = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
"""RGB with ImageNet's per-channel mean and standard deviation."""


@dataclass(frozen=True)
class SwapperSpec:
    """One swapper's conventions (see the module)."""

    family: SwapperFamily
    template: WarpTemplateName
    size: int
    mean: Triple
    std: Triple
    denormalise: bool
    source: SwapperSource
    converter: EmbeddingConverterName | None = None
    """The embedding converter of a ``converted``/``converted_raw`` source."""
    source_template: WarpTemplateName | None = None
    """An ``image`` source: the template the source face is aligned with, at ``source_size``."""
    source_size: int | None = None
    extra_outputs: int = 0
    """Outputs after the swapped crop that the swap does not use (HyperSwap's ``mask``)."""

    def __post_init__(self) -> None:
        converted = self.source in ("converted", "converted_raw")
        if converted != (self.converter is not None):
            raise ValueError(f"a {self.source} source {'needs' if converted else 'takes no'} converter")
        image = self.source == "image"
        if image != (self.source_template is not None and self.source_size is not None):
            raise ValueError(f"a {self.source} source {'needs' if image else 'takes no'} source crop")

    @property
    def pixel_boosts(self) -> tuple[PixelBoost, ...]:
        """The pixel boost choices this swapper honours: native and the multiples of its size."""
        sizes = [value for value in get_args(PixelBoost) if value != "native"]
        return ("native", *(cast(PixelBoost, v) for v in sizes if int(v) % self.size == 0))

    @property
    def takes_weight(self) -> bool:
        """Whether an identity weight below 1 can be honoured (it blends identity vectors: an image source
        has none)."""
        return self.source != "image"


_INSWAPPER = SwapperSpec("inswapper", "arcface_128", 128, *UNIT, denormalise=False, source="emap")
_HYPERSWAP = SwapperSpec(
    "hyperswap", "arcface_128", 256, *SYMMETRIC, denormalise=True, source="embedding", extra_outputs=1
)
_GHOST = SwapperSpec(
    "ghost", "arcface_112_v1", 256, *SYMMETRIC, True, "converted_raw", converter="crossface_ghost"
)

SWAPPERS: dict[SwapperName, SwapperSpec] = {
    "inswapper_128": _INSWAPPER,
    "inswapper_128_fp16": _INSWAPPER,
    "hyperswap_1a_256": _HYPERSWAP,
    "hyperswap_1b_256": _HYPERSWAP,
    "hyperswap_1c_256": _HYPERSWAP,
    "simswap_256": SwapperSpec(
        "simswap", "arcface_112_v1", 256, *IMAGENET, False, "converted", converter="crossface_simswap"
    ),
    "simswap_unofficial_512": SwapperSpec(
        "simswap", "arcface_112_v1", 512, *UNIT, False, "converted", converter="crossface_simswap"
    ),
    "ghost_1_256": _GHOST,
    "ghost_2_256": _GHOST,
    "ghost_3_256": _GHOST,
    "hififace_unofficial_256": SwapperSpec(
        "hififace", "mtcnn_512", 256, *SYMMETRIC, True, "converted", converter="crossface_hififace"
    ),
    "blendswap_256": SwapperSpec(
        "blendswap", "ffhq_512", 256, *UNIT, False, "image", source_template="arcface_112_v2", source_size=112
    ),
    "uniface_256": SwapperSpec(
        "uniface", "ffhq_512", 256, *SYMMETRIC, True, "image", source_template="ffhq_512", source_size=256
    ),
}

AUTO_PREFERENCE: tuple[SwapperName, ...] = (
    "hyperswap_1a_256",
    "hyperswap_1b_256",
    "hyperswap_1c_256",
    "inswapper_128",
    "inswapper_128_fp16",
    "simswap_unofficial_512",
    "ghost_3_256",
    "ghost_2_256",
    "ghost_1_256",
    "hififace_unofficial_256",
    "simswap_256",
    "uniface_256",
    "blendswap_256",
)
"""The order in which ``auto`` takes the first installed swapper (then the classic engine): quality first
(HyperSwap's 256 px crops and its own training on ArcFace w600k, then inswapper, then the 512 px SimSwap),
then the licence among comparable ones (GHOST, Apache-2.0, before HifiFace and SimSwap 256, whose licences
do not clear commercial use), the image-source swappers last (one photo's crop, no identity weight). On a
GPU the fp16 inswapper goes before the fp32 one (docs/engine.md)."""

RECOMMENDED: tuple[ModelName, ...] = ("scrfd_2.5g", "arcface_w600k_r50", "hyperswap_1a_256")
"""``faceswap models download --recommended``: what ``auto`` needs for its first choice with the default
detector (no enhancer, no mask model)."""


def swapper_spec(name: SwapperName) -> SwapperSpec:
    return SWAPPERS[name]


def converter_of(name: SwapperName) -> EmbeddingConverterName | None:
    """The embedding converter ``name`` needs, or None."""
    return SWAPPERS[name].converter
