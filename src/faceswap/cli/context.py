"""What every command needs: validated settings and the model registry."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from faceswap.config import Settings
from faceswap.errors import BadOptionError
from faceswap.models.registry import ModelRegistry


@dataclass(frozen=True)
class CliContext:
    settings: Settings
    registry: ModelRegistry


def load_context() -> CliContext:
    try:
        settings = Settings()
    except ValidationError as error:
        raise BadOptionError(f"invalid configuration: {error}") from error
    return CliContext(settings=settings, registry=ModelRegistry(settings.models_path))
