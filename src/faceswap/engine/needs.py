"""Which catalog models a swap needs, from its settings and options alone (no model is loaded)."""

from __future__ import annotations

from faceswap.choices import (
    DetectorName,
    EnhancerName,
    LandmarkerName,
    ModelName,
    SwapperName,
    UpscaleName,
)
from faceswap.engine.face_filters import FaceFilters
from faceswap.engine.options import SwapOptions
from faceswap.models.swappers import converter_of

RECOGNIZER: ModelName = "arcface_w600k_r50"
LANDMARK_LIFTER: ModelName = "fan_68_5"
"""Lifts 5 key points to 68 where 2dfan4's own points are not trusted."""
CLASSIFIER: ModelName = "fairface"
"""Tells gender, age and race for the face filters."""


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
    return (CLASSIFIER,) if filters.active else ()


def landmarker_models(landmarker: LandmarkerName) -> tuple[ModelName, ...]:
    """The models the 68-point landmarker needs: 2dfan4 with fan_68_5 behind it; none for ``none``."""
    return () if landmarker == "none" else (landmarker, LANDMARK_LIFTER)
