"""Which catalog models a swap needs, from its settings and options alone (no model is loaded)."""

from __future__ import annotations

from faceswap.choices import DetectorName, EnhancerName, ModelName, SwapperName, UpscaleName
from faceswap.engine.options import SwapOptions

RECOGNIZER: ModelName = "arcface_w600k_r50"


def neural_models(detector: DetectorName, swapper: SwapperName) -> tuple[ModelName, ...]:
    """The models a neural engine with ``swapper`` needs, given its detector."""
    return (detector, RECOGNIZER, swapper)


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
