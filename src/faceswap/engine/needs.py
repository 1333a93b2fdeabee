"""Which catalog models a swap needs, from its settings and options alone (no model is loaded)."""

from __future__ import annotations

from faceswap.choices import DetectorName, EnhancerName, ModelName, SwapperName
from faceswap.engine.face_filters import FaceFilters
from faceswap.engine.options import SwapOptions

RECOGNIZER: ModelName = "arcface_w600k_r50"


def neural_models(detector: DetectorName, swapper: SwapperName) -> tuple[ModelName, ...]:
    """The models a neural engine with ``swapper`` needs, given its detector."""
    return (detector, RECOGNIZER, swapper)


def option_models(options: SwapOptions, enhancer: EnhancerName) -> tuple[ModelName, ...]:
    """The models the enhancer and the mask types of ``options`` need."""
    needed: list[ModelName] = []
    if enhancer != "none":
        needed.append(enhancer)
    if "occlusion" in options.masks:
        needed.append(options.occluder)
    if "region" in options.masks:
        needed.append(options.face_parser)
    return tuple(needed)


def selection_models(filters: FaceFilters) -> tuple[ModelName, ...]:
    """The models the face filters need: the face classifier when any filter is set."""
    return ("fairface",) if filters.active else ()
