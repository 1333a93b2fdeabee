"""Per-task analysis options on a loaded engine: the 68-point landmarker, the detector angles and the face
classifier of the face filters.

Engines are loaded once per name and shared (:mod:`faceswap.service.processors.engines`); the landmarker and
the detector angles are chosen per task (``wf_json.landmarker``, ``wf_json.detector_angles``) and applied
per call instead of being part of what is loaded: :func:`with_analysis` returns a shallow copy of the
engine whose analyser uses them, sharing every loaded session. Keying loaded engines by (engine,
landmarker, angles) would load the detector, ArcFace and inswapper (hundreds of MB) again for every
combination a client asks for. The landmarker's own sessions are loaded once and shared the same way
(:meth:`faceswap.service.processors.context.WorkerContext.landmarker`).

The classic engine finds 68 dlib landmarks itself and aligns on them, so a landmarker does not apply to
it (it is ignored, with a log line); detector angles apply to every engine, and so does the face
classifier (fairface works on any face's 5 key points; :mod:`faceswap.engine.classify`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from faceswap.choices import LandmarkerName, ModelName
from faceswap.config import Settings
from faceswap.engine.classify import ClassifyingAnalyser, FaceClassifier
from faceswap.engine.protocols import Engine
from faceswap.engine.rotation import RotatingAnalyser, check_angles

if TYPE_CHECKING:
    from faceswap.engine.onnx.landmarker import FanLandmarker

logger = logging.getLogger(__name__)

ModelPath = Callable[[ModelName], Path]


def open_landmarker(settings: Settings, name: LandmarkerName, model_path: ModelPath) -> FanLandmarker | None:
    """The landmarker ``name`` with its sessions loaded (None for ``none``); raises ModelMissingError."""
    if name == "none":
        return None
    from faceswap.engine.onnx.engine import build_landmarker

    return build_landmarker(settings, model_path)


def open_classifier(settings: Settings, wanted: bool, model_path: ModelPath) -> FaceClassifier | None:
    """The face classifier (fairface) with its session loaded when ``wanted`` (a task has face filters),
    else None; raises ModelMissingError."""
    if not wanted:
        return None
    from faceswap.engine.onnx.engine import build_classifier

    return build_classifier(settings, model_path)


def with_analysis(
    engine: Engine,
    landmarker: FanLandmarker | None,
    angles: Sequence[int] = (0,),
    classifier: FaceClassifier | None = None,
) -> Engine:
    """``engine`` whose analyser refines key points with ``landmarker`` (neural engines), also looks
    for faces in the frame turned by each of ``angles`` and tells each face's traits with ``classifier``;
    ``engine`` itself when none applies."""
    analyser = engine.analyser
    models = engine.models
    if landmarker is not None:
        from faceswap.engine.onnx.analyser import NeuralAnalyser

        if isinstance(analyser, NeuralAnalyser):
            analyser = replace(analyser, landmarker=landmarker)
            models = (*models, *landmarker.models)
        else:
            logger.info("engine %s aligns on its own 68 landmarks: the landmarker is not used", engine.name)
    chosen = check_angles(angles)
    if chosen != (0,):
        analyser = RotatingAnalyser(analyser, chosen)
    if classifier is not None:
        analyser = ClassifyingAnalyser(analyser, classifier)
        models = (*models, *classifier.models)
    if analyser is engine.analyser:
        return engine
    return replace(engine, analyser=analyser, models=models)
