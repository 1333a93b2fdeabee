"""``GET /api/health``: liveness plus readiness of the queue, storage, workers and models.

With ``COMFYUI_URL`` set it also reports whether ComfyUI answers ``/system_stats`` (``comfyui``): shown,
not counted in ``status``, since the API itself does not need ComfyUI to take tasks.
"""

from __future__ import annotations

import logging
from typing import Literal, get_args

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from faceswap.choices import EngineName, ModelName, ModelStatus
from faceswap.comfyui.client import ComfyClient
from faceswap.errors import FaceswapError
from faceswap.models.registry import ModelRegistry
from faceswap.service.api.deps import State
from faceswap.service.api.envelope import Sparse

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["health"])
COMFYUI_TIMEOUT_S = 3.0
"""How long the health check waits for ComfyUI's ``/system_stats``."""


class QueueHealth(Sparse):
    ok: bool
    backend: str | None = Field(default=None, description="the queue's class; absent when it failed")
    name: str | None = None
    queued: int | None = None
    active: int | None = None
    error: str | None = Field(default=None, description="why the queue cannot be read; absent when ok")


class StorageHealth(Sparse):
    ok: bool
    backend: str = Field(description="the storage's scheme (file, s3, gcs, azure ...)")
    error: str | None = Field(default=None, description="why it cannot be used; absent unless it raised")


class WorkersHealth(BaseModel):
    count: int
    ids: list[str] = Field(description="the workers that reported to the queue lately")


class ComfyUIHealth(Sparse):
    ok: bool
    url: str = Field(description="the ComfyUI URL, without credentials")
    version: str | None = Field(default=None, description="ComfyUI's version, when it tells")
    error: str | None = Field(default=None, description="why ComfyUI did not answer; absent when ok")


class HealthReport(Sparse):
    """The service's readiness: answered 200 when ``ok``, 503 when ``degraded`` (the queue or the storage
    cannot be used)."""

    status: Literal["ok", "degraded"]
    queue: QueueHealth
    storage: StorageHealth
    workers: WorkersHealth
    models: dict[ModelName, ModelStatus]
    engine: EngineName
    comfyui: ComfyUIHealth | None = Field(default=None, description="with COMFYUI_URL set; absent otherwise")


async def comfyui_health(url: str) -> ComfyUIHealth:
    """``{ok, url}`` (URL without credentials) plus ComfyUI's ``version`` or the ``error``."""
    async with ComfyClient(url, timeout_s=COMFYUI_TIMEOUT_S, connect_timeout_s=COMFYUI_TIMEOUT_S) as comfy:
        try:
            stats = await comfy.system_stats()
        except FaceswapError as exc:
            return ComfyUIHealth(ok=False, url=comfy.shown, error=exc.message)
    system = stats.get("system")
    version = system.get("comfyui_version") if isinstance(system, dict) else None
    if version:
        return ComfyUIHealth(ok=True, url=comfy.shown, version=str(version))
    return ComfyUIHealth(ok=True, url=comfy.shown)


@router.get(
    "/health",
    summary="Liveness and readiness",
    responses={503: {"model": HealthReport, "description": "degraded: the queue or the storage is down"}},
)
async def health(state: State, response: Response) -> HealthReport:
    try:
        info = await state.queue.info()
        queue = QueueHealth(
            ok=True,
            backend=type(state.queue).__name__,
            name=state.queue.name,
            queued=info["queued"],
            active=info["active"],
        )
        workers = sorted(info["workers"])
    except Exception as exc:  # any backend failure means "not ready": reported, not raised
        queue, workers = QueueHealth(ok=False, error=str(exc) or type(exc).__name__), []
    try:
        storage = StorageHealth(ok=await state.storage.health(), backend=state.storage.scheme)
    except FaceswapError as exc:
        storage = StorageHealth(ok=False, backend=state.storage.scheme, error=exc.message)
    registry = ModelRegistry(state.settings.models_path)
    ready = queue.ok and storage.ok
    report = HealthReport(
        status="ok" if ready else "degraded",
        queue=queue,
        storage=storage,
        workers=WorkersHealth(count=len(workers), ids=workers),
        models={name: registry.status(name) for name in get_args(ModelName)},
        engine=state.settings.engine.engine,
    )
    if state.settings.comfyui.url is not None:
        report.comfyui = await comfyui_health(state.settings.comfyui.url)
    response.status_code = 200 if ready else 503
    return report
