"""Build the neural engine: every session is created once here and held by the returned objects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from faceswap.choices import DetectorName, EnhancerModelName, ModelName, SwapperName
from faceswap.config import Settings
from faceswap.engine.onnx.analyser import ARCFACE_REFERENCE_THRESHOLD, NeuralAnalyser
from faceswap.engine.onnx.detector import make_detector
from faceswap.engine.onnx.enhancer import OnnxEnhancer
from faceswap.engine.onnx.recognizer import ArcFaceRecognizer
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.swapper import load_inswapper
from faceswap.engine.protocols import Engine, FaceEnhancer

logger = logging.getLogger(__name__)

ModelPath = Callable[[ModelName], Path]
"""Where a model's file is (the registry's look-up; raises ModelMissingError when it is not installed)."""

RECOGNIZER: ModelName = "arcface_w600k_r50"


def build_analyser(settings: Settings, detector: DetectorName, model_path: ModelPath) -> NeuralAnalyser:
    """Detector + ArcFace, with the configured reference threshold or ArcFace's default."""
    engine_settings = settings.engine
    detector_model = open_session(detector, model_path(detector), engine_settings)
    recognizer_model = open_session(RECOGNIZER, model_path(RECOGNIZER), engine_settings)
    threshold = engine_settings.reference_threshold or ARCFACE_REFERENCE_THRESHOLD
    return NeuralAnalyser(make_detector(detector_model), ArcFaceRecognizer(recognizer_model), threshold)


def build_neural_engine(
    settings: Settings,
    swapper: SwapperName,
    detector: DetectorName = "scrfd_2.5g",
    *,
    model_path: ModelPath,
) -> Engine:
    """The ONNX engine named after its swapper; raises ModelMissingError / ModelSignatureError."""
    analyser = build_analyser(settings, detector, model_path)
    face_swapper = load_inswapper(open_session(swapper, model_path(swapper), settings.engine))
    logger.info("neural engine ready: %s, %s, %s", detector, RECOGNIZER, swapper)
    return Engine(
        name=swapper, analyser=analyser, swapper=face_swapper, models=(detector, RECOGNIZER, swapper)
    )


def build_enhancer(settings: Settings, name: EnhancerModelName, model_path: ModelPath) -> FaceEnhancer:
    """A face restorer (GFPGAN 1.4, CodeFormer or RestoreFormer++) with its session loaded."""
    return OnnxEnhancer(open_session(name, model_path(name), settings.engine))
