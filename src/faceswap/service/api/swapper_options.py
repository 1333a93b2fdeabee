"""What ``GET /api/options`` says about each swapper engine: licence, commercial use, size, installed.

``installed`` is whether every model the engine needs (detector, ArcFace, the swapper, its embedding
converter) is in this API's models folder; an API without a models folder cannot tell (None), its workers
keep the models. ``download`` is the command that installs the missing ones
(:mod:`faceswap.service.api.model_availability`).
"""

from __future__ import annotations

from typing import Any

from faceswap.config import Settings
from faceswap.engine.needs import neural_models
from faceswap.models.catalog import CATALOG
from faceswap.models.swappers import AUTO_PREFERENCE, SWAPPERS
from faceswap.service.api.model_availability import availability, models_registry


def swapper_options(settings: Settings) -> list[dict[str, Any]]:
    """One entry per swapper, in the order of :data:`faceswap.choices.SwapperName`."""
    registry = models_registry(settings)
    entries = []
    for swapper, spec in SWAPPERS.items():
        entry = CATALOG[swapper]
        needed = neural_models(settings.engine.detector, swapper)
        state = availability(needed, registry)
        entries.append(
            {
                "name": swapper,
                "family": spec.family,
                "size": spec.size,
                "licence": entry.licence,
                "commercial_use": entry.commercial_use,
                "size_bytes": sum(CATALOG[model].size_bytes for model in needed[2:]),
                "models": list(needed),
                "installed": state["installed"],
                "download": state["download"],
                "identity_weight": spec.takes_weight,
                "pixel_boost": list(spec.pixel_boosts),
                "auto_rank": AUTO_PREFERENCE.index(swapper),
            }
        )
    return entries
