"""Build the neural engine: every session is created once here and held by the returned objects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from faceswap.choices import (
    DetectorName,
    EnhancerModelName,
    FaceParserName,
    ModelName,
    OccluderName,
    SwapperName,
)
from faceswap.config import Settings
from faceswap.engine.onnx.analyser import ARCFACE_REFERENCE_THRESHOLD, NeuralAnalyser
from faceswap.engine.onnx.classifier import FairFaceClassifier
from faceswap.engine.onnx.detector import make_detector
from faceswap.engine.onnx.device_geometry import load_device_geometry
from faceswap.engine.onnx.enhancer import ENHANCER_SIZE, OnnxEnhancer
from faceswap.engine.onnx.geometry_graphs import SYMMETRIC_RGB, UNIT_RGB
from faceswap.engine.onnx.landmarker import Fan68From5, FanLandmarker
from faceswap.engine.onnx.masker import BiSeNetParser, XSegOccluder
from faceswap.engine.onnx.providers import Providers, batch_size, wants_gpu_geometry
from faceswap.engine.onnx.recognizer import ArcFaceRecognizer
from faceswap.engine.onnx.session import ModelSession, open_session
from faceswap.engine.onnx.swapper import INSWAPPER_SIZE, InSwapper, load_inswapper
from faceswap.engine.onnx.uploads import SharedUploads
from faceswap.engine.protocols import Engine

logger = logging.getLogger(__name__)

ModelPath = Callable[[ModelName], Path]
"""Where a model's file is (the registry's look-up; raises ModelMissingError when it is not installed)."""

RECOGNIZER: ModelName = "arcface_w600k_r50"


def tensorrt_cache(settings: Settings) -> Path:
    """Where the TensorRT provider keeps its engines: the setting, else DATA_DIR/tensorrt."""
    return settings.engine.tensorrt_cache_dir or settings.data_dir / "tensorrt"


def _open(settings: Settings, name: ModelName, model_path: ModelPath) -> ModelSession:
    return open_session(name, model_path(name), settings.engine, cache_dir=tensorrt_cache(settings))


def build_swapper(settings: Settings, model: ModelSession, uploads: SharedUploads | None = None) -> InSwapper:
    """inswapper on ``model``, with warp and paste back on its device when ``engine.gpu_geometry`` says
    (the frames' upload shared with the detector through ``uploads``)."""
    providers: Providers = [(name, {}) for name in model.providers]
    geometry = None
    if wants_gpu_geometry(settings.engine.gpu_geometry, providers):
        geometry = load_device_geometry(model, "arcface_128", INSWAPPER_SIZE, UNIT_RGB, uploads)
    return load_inswapper(model, geometry)


def build_analyser(
    settings: Settings, detector: DetectorName, model_path: ModelPath, uploads: SharedUploads | None = None
) -> NeuralAnalyser:
    """Detector + ArcFace, with the configured reference threshold or ArcFace's default; the detector's
    input is letterboxed on its device when ``engine.gpu_geometry`` says (the frames' upload shared with
    the swapper through ``uploads``)."""
    engine_settings = settings.engine
    detector_model = _open(settings, detector, model_path)
    recognizer_model = _open(settings, RECOGNIZER, model_path)
    threshold = engine_settings.reference_threshold or ARCFACE_REFERENCE_THRESHOLD
    providers: Providers = [(name, {}) for name in detector_model.providers]
    on_device = wants_gpu_geometry(engine_settings.gpu_geometry, providers)
    face_detector = make_detector(detector_model, on_device, uploads)
    return NeuralAnalyser(face_detector, ArcFaceRecognizer(recognizer_model), threshold)


def build_neural_engine(
    settings: Settings,
    swapper: SwapperName,
    detector: DetectorName = "scrfd_2.5g",
    *,
    model_path: ModelPath,
) -> Engine:
    """The ONNX engine named after its swapper; raises ModelMissingError / ModelSignatureError."""
    uploads = SharedUploads()
    analyser = build_analyser(settings, detector, model_path, uploads)
    swapper_model = _open(settings, swapper, model_path)
    face_swapper = build_swapper(settings, swapper_model, uploads)
    providers: Providers = [(name, {}) for name in swapper_model.providers]
    frames = batch_size(settings.engine, providers)
    logger.info("neural engine ready: %s, %s, %s; %d frames per batch", detector, RECOGNIZER, swapper, frames)
    return Engine(
        name=swapper,
        analyser=analyser,
        swapper=face_swapper,
        models=(detector, RECOGNIZER, swapper),
        batch_size=frames,
        batch_scope=uploads.scope,
    )


def build_enhancer(settings: Settings, name: EnhancerModelName, model_path: ModelPath) -> OnnxEnhancer:
    """A face restorer (GFPGAN 1.4, CodeFormer or RestoreFormer++) with its session loaded, with warp and
    paste back on its device when ``engine.gpu_geometry`` says."""
    model = _open(settings, name, model_path)
    providers: Providers = [(provider, {}) for provider in model.providers]
    geometry = None
    if wants_gpu_geometry(settings.engine.gpu_geometry, providers):
        geometry = load_device_geometry(model, "ffhq_512", ENHANCER_SIZE, SYMMETRIC_RGB)
    return OnnxEnhancer(model, geometry=geometry)


def build_occluder(settings: Settings, name: OccluderName, model_path: ModelPath) -> XSegOccluder:
    """An XSeg occlusion model with its session loaded."""
    return XSegOccluder(_open(settings, name, model_path))


def build_face_parser(settings: Settings, name: FaceParserName, model_path: ModelPath) -> BiSeNetParser:
    """A BiSeNet face parser with its session loaded."""
    return BiSeNetParser(_open(settings, name, model_path))


def build_landmarker(settings: Settings, model_path: ModelPath) -> FanLandmarker:
    """2dfan4 with fan_68_5 behind it, both loaded (ModelMissingError names the one missing)."""
    model = _open(settings, "2dfan4", model_path)
    lifter = Fan68From5(_open(settings, "fan_68_5", model_path))
    return FanLandmarker(model, lifter, threshold=settings.engine.landmarker_score)


def build_classifier(settings: Settings, model_path: ModelPath) -> FairFaceClassifier:
    """The fairface face classifier with its session loaded (ModelMissingError when not installed)."""
    return FairFaceClassifier(_open(settings, "fairface", model_path))
