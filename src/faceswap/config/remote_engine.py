"""``remote_engine``: a swap service running ``face_swap`` tasks for workers (``FACESWAP_REMOTE_ENGINE__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class RemoteEngineSettings(BaseModel):
    """A swap service (``faceswap engine-serve`` or compatible) that runs ``face_swap`` tasks for workers.

    ``url`` is operator configuration: it does not go through the SSRF guard (docs/comfyui.md).
    """

    url: str | None = Field(
        default=None, description="base URL of the swap service (FACE_SWAP_API_URL); None: swap locally"
    )
    timeout_s: float = Field(default=120.0, gt=0.0, description="one request's limit (FACE_SWAP_TIMEOUT)")
    attempts: int = Field(default=4, ge=1, description="tries per swap on timeouts, network errors and 5xx")
    backoff_s: float = Field(default=1.0, ge=0.0, description="first delay between tries, doubled each time")
    shared_dir: Path | None = Field(
        default=None,
        description="a directory the swap service also sees (its engine_server.input_root): inputs are "
        "written there and sent as paths; None: inputs are sent inline (data: URLs) or as their http(s) URL",
    )
