"""The processor registry: workflow name -> ``module:function``, imported on first use.

Names are plain data, so the API can validate a workflow without importing any processor (and the
engine libraries processors pull in). A new workflow adds one line here and one module.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, cast

from faceswap.choices import Workflow
from faceswap.errors import BadOptionError
from faceswap.service.processors.base import Processor

if TYPE_CHECKING:
    from faceswap.config import Settings

PROCESSORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "face_swap": "faceswap.service.processors.face_swap:process",
        "face_enhance": "faceswap.service.processors.enhance:process",
        "face_detect": "faceswap.service.processors.detect:process",
        "face_preview": "faceswap.service.processors.preview:process",
    }
)
COMFYUI_PROCESSOR: Final = "faceswap.service.processors.comfyui:process"
"""Runs every workflow that is not built in: a ComfyUI workflow (docs/comfyui.md)."""
REMOTE_ENGINE_PROCESSOR: Final = "faceswap.service.processors.remote_engine:process"
"""Runs ``face_swap`` on the swap service at ``remote_engine.url`` (FACE_SWAP_API_URL) when one is set."""


def processor_target(workflow: Workflow | str, settings: Settings | None = None) -> str:
    """The ``module:function`` that runs ``workflow`` with ``settings`` (None: the built-in table only)."""
    if settings is not None:
        if workflow == "face_swap" and settings.remote_engine.url:
            return REMOTE_ENGINE_PROCESSOR
        if workflow not in PROCESSORS and settings.comfyui.url:
            return COMFYUI_PROCESSOR
    target = PROCESSORS.get(workflow)
    if target is None:
        raise BadOptionError(
            f"no processor for workflow {workflow!r}; known: {', '.join(PROCESSORS)}"
            + ("" if settings is None or settings.comfyui.url else " (no ComfyUI server is configured)")
        )
    return target


def load_processor(workflow: Workflow | str, settings: Settings | None = None) -> Processor:
    """The processor function of ``workflow``; ``BadOptionError`` for an unknown one.

    With ``settings``, ``face_swap`` goes to a configured remote swap service and any other name to a
    configured ComfyUI server.
    """
    target = processor_target(workflow, settings)
    module, _, name = target.partition(":")
    return cast(Processor, getattr(importlib.import_module(module), name))
