"""``GET /api/health``: liveness plus readiness of the queue, storage, workers and models."""

from __future__ import annotations

import logging
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from faceswap.choices import ModelName
from faceswap.errors import FaceswapError
from faceswap.models.registry import ModelRegistry
from faceswap.service.api.state import ServiceState, get_state

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["health"])
State = Annotated[ServiceState, Depends(get_state)]


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
    return JSONResponse(body, status_code=200 if ready else 503)
