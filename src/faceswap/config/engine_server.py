"""``engine_server``: ``faceswap engine-serve`` (``FACESWAP_ENGINE_SERVER__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class EngineServerSettings(BaseModel):
    """``faceswap engine-serve``: our engine as a swap service (``POST /process``, ``GET /health``)."""

    input_root: Path | None = Field(
        default=None,
        description="local paths under this directory are read as inputs; None: no local path is accepted",
    )
    concurrency: int = Field(default=1, ge=1, description="swaps at once")
