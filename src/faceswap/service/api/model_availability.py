"""Whether the models behind every model-backed choice are installed, for ``GET /api/options``.

Each choice (an engine, an enhancer, an upscale model, the occlusion or region mask's model, the
landmarker, the face filters' classifier) needs the catalog models :mod:`faceswap.engine.needs` names.
``installed`` is whether every one of them is in this API's models folder; an API without a models folder
cannot tell (``None``): its workers keep the models. ``download`` is the one command that installs what is
missing (every model of the choice when the API cannot tell), ``None`` once nothing is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from faceswap.choices import (
    EnhancerModelName,
    FaceParserName,
    FrameEnhancerName,
    LandmarkerName,
    ModelName,
    OccluderName,
    SwapperName,
    choices,
)
from faceswap.config import Settings
from faceswap.engine.needs import CLASSIFIER, landmarker_models, neural_models
from faceswap.models.registry import ModelRegistry

DOWNLOAD = "faceswap models download"

ChoiceModels = Mapping[str, Mapping[str, tuple[ModelName, ...]]]
"""Per choice field (as the task parameters name it), per value: the models that value needs."""


def choice_models(settings: Settings) -> ChoiceModels:
    """Every model-backed value of every choice field and the models it needs (values that need none,
    such as ``classic``, ``auto`` and ``none``, are left out). ``face_filters`` has one value, the
    classifier that any gender, age or race filter needs."""
    detector = settings.engine.detector
    landmarkers = [cast(LandmarkerName, name) for name in choices(LandmarkerName) if name != "none"]
    return {
        "engine": {name: neural_models(detector, cast(SwapperName, name)) for name in choices(SwapperName)},
        "enhancer": {name: (name,) for name in _models(EnhancerModelName)},
        "upscale": {name: (name,) for name in _models(FrameEnhancerName)},
        "occluder": {name: (name,) for name in _models(OccluderName)},
        "face_parser": {name: (name,) for name in _models(FaceParserName)},
        "landmarker": {name: landmarker_models(name) for name in landmarkers},
        "face_filters": {CLASSIFIER: (CLASSIFIER,)},
    }


def _models(literal: object) -> tuple[ModelName, ...]:
    """The values of a ``Literal`` of model names (each one a catalog model)."""
    return cast(tuple[ModelName, ...], choices(literal))


def availability(models: tuple[ModelName, ...], registry: ModelRegistry | None) -> dict[str, Any]:
    """``{models, installed, missing, download}`` of one choice needing ``models`` (see the module)."""
    if registry is None:
        return {"models": list(models), "installed": None, "missing": None, "download": command(models)}
    missing = [name for name in models if not registry.is_installed(name)]
    return {
        "models": list(models),
        "installed": not missing,
        "missing": missing,
        "download": command(tuple(missing)) if missing else None,
    }


def command(models: tuple[ModelName, ...]) -> str:
    """The command that downloads ``models``, all named at once."""
    return " ".join((DOWNLOAD, *models))


def models_registry(settings: Settings) -> ModelRegistry | None:
    """This API's models folder, or None when it has none (it cannot tell what is installed)."""
    folder = settings.models_path
    return ModelRegistry(folder) if folder.is_dir() else None


def model_choices(settings: Settings) -> dict[str, dict[str, dict[str, Any]]]:
    """Per choice field, per model-backed value: its :func:`availability`."""
    registry = models_registry(settings)
    return {
        field: {value: availability(models, registry) for value, models in values.items()}
        for field, values in choice_models(settings).items()
    }
