"""``GET /api/health``: liveness plus readiness of the queue, storage, workers and models.

With ``COMFYUI_URL`` set it also reports whether ComfyUI answers ``/system_stats`` (``comfyui``): shown,
not counted in ``status``, since the API itself does not need ComfyUI to take tasks.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from faceswap.choices import ModelName
from faceswap.comfyui.client import ComfyClient
from faceswap.errors import FaceswapError
from faceswap.models.registry import ModelRegistry
from faceswap.service.api.state import ServiceState, get_state

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["health"])
State = Annotated[ServiceState, Depends(get_state)]
COMFYUI_TIMEOUT_S = 3.0
"""How long the health check waits for ComfyUI's ``/system_stats``."""


async def comfyui_health(url: str) -> dict[str, Any]:
    """``{ok, url}`` (URL without credentials) plus ComfyUI's ``version`` or the ``error``."""
    async with ComfyClient(url, timeout_s=COMFYUI_TIMEOUT_S, connect_timeout_s=COMFYUI_TIMEOUT_S) as comfy:
        try:
            stats = await comfy.system_stats()
        except FaceswapError as exc:
            return {"ok": False, "url": comfy.shown, "error": exc.message}
    system = stats.get("system")
    version = system.get("comfyui_version") if isinstance(system, dict) else None
    return {"ok": True, "url": comfy.shown, **({"version": str(version)} if version else {})}


@router.get("/health", summary="Liveness and readiness")
async def health(state: State) -> JSONResponse:
    try:
        info = await state.queue.info()
        queue: dict[str, Any] = {
            "ok": True,
            "backend": type(state.queue).__name__,
            "name": state.queue.name,
            "queued": info["queued"],
            "active": info["active"],
        }
        workers = sorted(info["workers"])
    except Exception as exc:  # any backend failure means "not ready": reported, not raised
        queue, workers = {"ok": False, "error": str(exc) or type(exc).__name__}, []
    try:
        storage = {"ok": await state.storage.health(), "backend": state.storage.scheme}
    except FaceswapError as exc:
        storage = {"ok": False, "backend": state.storage.scheme, "error": exc.message}
    registry = ModelRegistry(state.settings.models_path)
    models = {name: registry.status(name) for name in get_args(ModelName)}
    ready = bool(queue["ok"] and storage["ok"])
    body = {
        "status": "ok" if ready else "degraded",
        "queue": queue,
        "storage": storage,
        "workers": {"count": len(workers), "ids": workers},
        "models": models,
        "engine": state.settings.engine.engine,
    }
    if state.settings.comfyui.url is not None:
        body["comfyui"] = await comfyui_health(state.settings.comfyui.url)
    return JSONResponse(body, status_code=200 if ready else 503)
