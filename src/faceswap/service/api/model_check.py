"""At task creation: the models a face swap names must be installed, when this process can tell.

A task naming a neural engine, an enhancer, an upscale (frame enhancer), a model mask, the 68-point
landmarker or a face filter (fairface) whose files are missing is refused at once with ``model_missing``,
every missing model named in one message, instead of failing on a worker after it was queued. The API
checks its own models folder; an API without one (its workers keep the models on other machines) leaves
the check to the worker. ``auto`` needs nothing: it falls back to the classic engine.
"""

from __future__ import annotations

from typing import cast, get_args

from faceswap.choices import ModelName, SwapperName
from faceswap.config import Settings
from faceswap.engine.needs import landmarker_models, neural_models, option_models, selection_models
from faceswap.errors import ModelMissingError
from faceswap.models.registry import ModelRegistry
from faceswap.service.tasks.model import TaskCreate

SWAP_WORKFLOWS = ("face_swap", "face_enhance")
SELECTING_WORKFLOWS = ("face_swap", "face_detect", "face_preview")
"""Workflows that choose target faces, so whose face filters need the face classifier."""


def required_models(create: TaskCreate, settings: Settings) -> tuple[ModelName, ...]:
    """The catalog models ``create`` names, explicitly or through the settings' defaults."""
    wf = create.wf
    needed: list[ModelName] = []
    if create.workflow in SWAP_WORKFLOWS:
        engine = wf.model or settings.engine.engine
        if engine in get_args(SwapperName):
            needed.extend(neural_models(settings.engine.detector, cast(SwapperName, engine)))
        enhancer = wf.enhancer or settings.engine.enhancer
        needed.extend(option_models(wf.swap_options(), enhancer, wf.upscale or settings.engine.upscale))
    if create.workflow in SELECTING_WORKFLOWS:
        needed.extend(selection_models(wf.face_filters()))
    engine = wf.model or settings.engine.engine
    if create.workflow in (*SWAP_WORKFLOWS, *SELECTING_WORKFLOWS) and engine != "classic":
        needed.extend(landmarker_models(wf.landmarker or settings.engine.landmarker))
    return tuple(dict.fromkeys(needed))


def check_models(create: TaskCreate, settings: Settings) -> None:
    """``model_missing`` naming every model of :func:`required_models` not installed here (see module)."""
    folder = settings.models_path
    if not folder.is_dir():
        return
    registry = ModelRegistry(folder)
    missing = [name for name in required_models(create, settings) if not registry.is_installed(name)]
    if missing:
        first = missing[0]
        raise ModelMissingError(first, str(registry.file_path(first)), others=tuple(missing[1:]))
