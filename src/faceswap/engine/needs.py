"""Which catalog models a swap needs, from its settings and options alone (no model is loaded)."""

from __future__ import annotations

from faceswap.choices import DetectorName, EnhancerName, ModelName, SwapperName, UpscaleName
from faceswap.engine.face_filters import FaceFilters
from faceswap.engine.options import SwapOptions
from faceswap.models.swappers import converter_of

RECOGNIZER: ModelName = "arcface_w600k_r50"


def neural_models(detector: DetectorName, swapper: SwapperName) -> tuple[ModelName, ...]:
    """The models a neural engine with ``swapper`` needs, given its detector: the detector, ArcFace, the
    swapper and its embedding converter when its family has one."""
    converter = converter_of(swapper)
    return (detector, RECOGNIZER, swapper, *((converter,) if converter else ()))


def option_models(
    options: SwapOptions, enhancer: EnhancerName, upscale: UpscaleName = "none"
) -> tuple[ModelName, ...]:
    """The models the enhancer, the upscale (frame enhancer) and the mask types of ``options`` need."""
    needed: list[ModelName] = []
    if enhancer != "none":
        needed.append(enhancer)
    if upscale != "none":
        needed.append(upscale)
    if "occlusion" in options.masks:
        needed.append(options.occluder)
    if "region" in options.masks:
        needed.append(options.face_parser)
    return tuple(needed)


def selection_models(filters: FaceFilters) -> tuple[ModelName, ...]:
    """The models the face filters need: the face classifier when any filter is set."""
    return ("fairface",) if filters.active else ()
