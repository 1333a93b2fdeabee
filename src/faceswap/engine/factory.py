"""Turns engine and enhancer names into ready objects; ``auto`` picks the best installed engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import cast, get_args

from faceswap.choices import (
    ConcreteEngineName,
    EngineName,
    EnhancerName,
    FaceParserName,
    ModelName,
    OccluderName,
    SwapperName,
    UpscaleName,
)
from faceswap.config import Settings
from faceswap.engine import needs
from faceswap.engine.mask_models import FaceParser, MaskModels, Occluder
from faceswap.engine.options import SwapOptions
from faceswap.engine.pipeline import EnhancerStep
from faceswap.engine.protocols import Engine
from faceswap.engine.upscale import UpscaleStep
from faceswap.models.swappers import AUTO_PREFERENCE

log = logging.getLogger(__name__)

ModelPath = Callable[[ModelName], Path]
IsInstalled = Callable[[ModelName], bool]


def neural_models(settings: Settings, swapper: SwapperName) -> tuple[ModelName, ...]:
    """The models a neural engine with ``swapper`` needs, given the configured detector."""
    return needs.neural_models(settings.engine.detector, swapper)


def auto_preference(*, gpu: bool = False) -> tuple[SwapperName, ...]:
    """The swappers ``auto`` tries, best first (:data:`faceswap.models.swappers.AUTO_PREFERENCE`); on a GPU
    the half-precision inswapper before the full-precision one (GPUs run fp16 about 1.4 times as fast)."""
    order = list(AUTO_PREFERENCE)
    if gpu:
        fp32, fp16 = order.index("inswapper_128"), order.index("inswapper_128_fp16")
        order[fp32], order[fp16] = order[fp16], order[fp32]
    return tuple(order)


def resolve_engine_name(
    settings: Settings, name: EngineName, is_installed: IsInstalled, *, gpu: bool = False
) -> ConcreteEngineName:
    """``auto`` becomes the first swapper of :func:`auto_preference` whose models (detector, ArcFace, the
    swapper, its converter) are all installed, else ``classic``; any other name stays as it is."""
    if name != "auto":
        return name
    for swapper in auto_preference(gpu=gpu):
        if all(is_installed(model) for model in neural_models(settings, swapper)):
            return swapper
    return "classic"


def open_engine(
    settings: Settings, name: EngineName, model_path: ModelPath, is_installed: IsInstalled
) -> Engine:
    """Loads the engine; a named neural engine whose model is missing raises ModelMissingError."""
    gpu = False
    if name == "auto":
        import onnxruntime

        from faceswap.engine.onnx.providers import gpu_available

        gpu = gpu_available(settings.engine, onnxruntime.get_available_providers())
    resolved = resolve_engine_name(settings, name, is_installed, gpu=gpu)
    log.info("engine %s resolved to %s", name, resolved)
    if resolved == "classic":
        from faceswap.engine.classic.engine import build_classic_engine

        return build_classic_engine(settings)
    from faceswap.engine.onnx.engine import build_neural_engine

    return build_neural_engine(settings, resolved, settings.engine.detector, model_path=model_path)


def open_enhancer(settings: Settings, name: EnhancerName, model_path: ModelPath) -> EnhancerStep | None:
    if name == "none":
        return None
    from faceswap.engine.onnx.engine import build_enhancer

    return EnhancerStep(
        name=name, enhancer=build_enhancer(settings, name, model_path), blend=settings.engine.enhancer_blend
    )


def open_upscaler(settings: Settings, name: UpscaleName, model_path: ModelPath) -> UpscaleStep | None:
    """The frame enhancer ``name`` loaded as an upscale step (None for ``none``), with the settings'
    ``upscale_blend``; ``model_missing`` when it is not installed."""
    if name == "none":
        return None
    from faceswap.engine.onnx.engine import build_frame_enhancer

    model = build_frame_enhancer(settings, name, model_path)
    return UpscaleStep(name=name, upscaler=model, blend=settings.engine.upscale_blend)


def open_mask_model(
    settings: Settings, name: OccluderName | FaceParserName, model_path: ModelPath
) -> Occluder | FaceParser:
    """The occlusion or face parsing model ``name``, loaded (``model_missing`` when not installed)."""
    from faceswap.engine.onnx.engine import build_face_parser, build_occluder

    if name in get_args(OccluderName):
        return build_occluder(settings, cast(OccluderName, name), model_path)
    return build_face_parser(settings, cast(FaceParserName, name), model_path)


def open_mask_models(settings: Settings, options: SwapOptions, model_path: ModelPath) -> MaskModels:
    """The models ``options``' mask types need, loaded (none for a box or area mask)."""
    occluder = (
        open_mask_model(settings, options.occluder, model_path) if "occlusion" in options.masks else None
    )
    parser = open_mask_model(settings, options.face_parser, model_path) if "region" in options.masks else None
    return MaskModels(occluder=cast(Occluder | None, occluder), parser=cast(FaceParser | None, parser))
