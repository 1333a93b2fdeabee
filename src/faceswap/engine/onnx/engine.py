"""Build the neural engine: every session is created once here and held by the returned objects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from faceswap.choices import (
    DetectorName,
    EnhancerModelName,
    FaceParserName,
    FrameEnhancerName,
    ModelName,
    OccluderName,
    SwapperName,
)
from faceswap.config import Settings
from faceswap.engine import needs
from faceswap.engine.onnx.analyser import ARCFACE_REFERENCE_THRESHOLD, NeuralAnalyser
from faceswap.engine.onnx.classifier import FairFaceClassifier
from faceswap.engine.onnx.detector import make_detector
from faceswap.engine.onnx.device_geometry import load_device_geometry
from faceswap.engine.onnx.enhancer import OnnxEnhancer
from faceswap.engine.onnx.frame_enhancer import OnnxFrameEnhancer
from faceswap.engine.onnx.geometry_graphs import SYMMETRIC_RGB
from faceswap.engine.onnx.landmarker import Fan68From5, FanLandmarker
from faceswap.engine.onnx.masker import BiSeNetParser, XSegOccluder
from faceswap.engine.onnx.providers import Providers, batch_size, wants_gpu_geometry
from faceswap.engine.onnx.recognizer import ArcFaceRecognizer
from faceswap.engine.onnx.session import ModelSession, open_session
from faceswap.engine.onnx.swap_pixels import pixel_map
from faceswap.engine.onnx.swap_sources import EmbeddingConverter
from faceswap.engine.onnx.swapper import OnnxSwapper, load_swapper
from faceswap.engine.onnx.uploads import SharedUploads
from faceswap.engine.protocols import Engine
from faceswap.engine.tiles import TileGrid
from faceswap.models.catalog import spec
from faceswap.models.swappers import swapper_spec

logger = logging.getLogger(__name__)

ModelPath = Callable[[ModelName], Path]
"""Where a model's file is (the registry's look-up; raises ModelMissingError when it is not installed)."""

RECOGNIZER: ModelName = needs.RECOGNIZER


def tensorrt_cache(settings: Settings) -> Path:
    """Where the TensorRT provider keeps its engines: the setting, else DATA_DIR/tensorrt."""
    return settings.engine.tensorrt_cache_dir or settings.data_dir / "tensorrt"


def _open(settings: Settings, name: ModelName, model_path: ModelPath) -> ModelSession:
    return open_session(name, model_path(name), settings.engine, cache_dir=tensorrt_cache(settings))


def build_swapper(
    settings: Settings, name: SwapperName, model_path: ModelPath, uploads: SharedUploads | None = None
) -> OnnxSwapper:
    """The swapper ``name`` (with its embedding converter, when its family has one), with warp and paste
    back on its device when ``engine.gpu_geometry`` says and the graphs can express its normalisation
    (the frames' upload shared with the detector through ``uploads``)."""
    spec = swapper_spec(name)
    model = _open(settings, name, model_path)
    converter = None
    if spec.converter is not None:
        converter = EmbeddingConverter(_open(settings, spec.converter, model_path))
    providers: Providers = [(provider, {}) for provider in model.providers]
    geometry = None
    pixels = pixel_map(spec)
    if pixels is not None and wants_gpu_geometry(settings.engine.gpu_geometry, providers):
        geometry = load_device_geometry(model, spec.template, spec.size, pixels, uploads)
    return load_swapper(model, spec, converter, geometry)


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
    face_swapper = build_swapper(settings, swapper, model_path, uploads)
    providers: Providers = [(name, {}) for name in face_swapper.model.providers]
    frames = batch_size(settings.engine, providers)
    models = needs.neural_models(detector, swapper)
    logger.info("neural engine ready: %s; %d frames per batch", ", ".join(models), frames)
    return Engine(
        name=swapper,
        analyser=analyser,
        swapper=face_swapper,
        models=models,
        batch_size=frames,
        batch_scope=uploads.scope,
        check_options=face_swapper.check_options,
        device=face_swapper.model.device,
    )


def build_enhancer(settings: Settings, name: EnhancerModelName, model_path: ModelPath) -> OnnxEnhancer:
    """A face restorer (GFPGAN, CodeFormer, RestoreFormer++, GPEN) with its session loaded, aligned with its
    catalog template at its catalog size, with warp and paste back on its device when
    ``engine.gpu_geometry`` says."""
    model = _open(settings, name, model_path)
    entry = spec(name)
    assert entry.template is not None, f"{name} has no alignment template"
    size = entry.input_size[0]
    providers: Providers = [(provider, {}) for provider in model.providers]
    geometry = None
    if wants_gpu_geometry(settings.engine.gpu_geometry, providers):
        geometry = load_device_geometry(model, entry.template, size, SYMMETRIC_RGB)
    return OnnxEnhancer(
        model, entry.template, size, fidelity=settings.engine.enhancer_weight, geometry=geometry
    )


def build_frame_enhancer(
    settings: Settings, name: FrameEnhancerName, model_path: ModelPath
) -> OnnxFrameEnhancer:
    """A super-resolution model with its session loaded, tiled as its catalog entry says."""
    entry = spec(name)
    assert entry.tiling is not None, f"{name} has no tiling"
    grid = TileGrid(tile=entry.input_size[0], overlap=entry.tiling.overlap, scale=entry.tiling.scale)
    return OnnxFrameEnhancer(_open(settings, name, model_path), grid)


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
