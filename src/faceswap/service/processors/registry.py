"""The processor registry: workflow name -> ``module:function``, imported on first use.

Names are plain data, so the API can validate a workflow without importing any processor (and the
engine libraries processors pull in). A new workflow adds one line here and one module.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, cast

from faceswap.choices import Workflow
from faceswap.errors import BadOptionError
from faceswap.service.processors.base import Processor

PROCESSORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "face_swap": "faceswap.service.processors.face_swap:process",
        "face_enhance": "faceswap.service.processors.enhance:process",
        "face_detect": "faceswap.service.processors.detect:process",
    }
)


def load_processor(workflow: Workflow | str) -> Processor:
    """The processor function of ``workflow``; ``BadOptionError`` for an unknown one."""
    target = PROCESSORS.get(workflow)
    if target is None:
        raise BadOptionError(f"no processor for workflow {workflow!r}; known: {', '.join(PROCESSORS)}")
    module, _, name = target.partition(":")
    return cast(Processor, getattr(importlib.import_module(module), name))
