"""``comfyui``: a ComfyUI server running workflows as tasks (``FACESWAP_COMFYUI__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class ComfyUISettings(BaseModel):
    """A ComfyUI server that runs ComfyUI workflows as tasks (see docs/comfyui.md).

    ``url`` is operator configuration, trusted like the queue URL: it does not go through the SSRF guard.
    """

    url: str | None = Field(
        default=None, description="ComfyUI's base URL (COMFYUI_URL); None: ComfyUI workflows are refused"
    )
    workflows_dir: Path | None = Field(
        default=None, description="API-format workflow files <name>.json; default: DATA_DIR/workflows"
    )
    timeout_s: float = Field(default=900.0, gt=0.0, description="longest one workflow may run")
    connect_timeout_s: float = Field(default=10.0, gt=0.0)
    ready_wait_s: float = Field(
        default=120.0,
        ge=0.0,
        description=(
            "how long a try waits for ComfyUI to answer /system_stats (a restart) before it fails; a bare "
            "ComfyUI 0.8 on 2 CPU cores took 12-44 s to answer again, custom nodes and a GPU add to that"
        ),
    )
