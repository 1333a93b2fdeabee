"""``faceswap engine-serve``: our swap engine as a swap service (``POST /process``, ``GET /health``).

A deployment whose workers delegate swaps (``FACE_SWAP_API_URL``) points them here. ``POST /process``
takes the ``wf_json`` fields of a ``face_swap`` task (``source_url`` or ``source_urls`` with ``mapping``,
``target_url``, ``model``, ``enhancer``, ``resolution``, ...) and answers the FaceSwapResponse shape
(``{status, output_path, processing_time, job_id, metadata}``); errors answer
``{"success": false, "error": {code, message}}`` with the error's HTTP status.

Inputs are ``http(s)://`` URLs (fetched through the SSRF guard, ``FACESWAP_FETCH__*``), ``data:`` URLs, or
absolute local paths when this service shares a disk with its callers: only under
``engine_server.input_root`` (symlinks resolved first), never elsewhere. Results are stored in this
service's storage and served at ``GET /api/download/{key}`` (``output_path`` is that absolute URL).

A request named with an ``X-Request-Id`` header is stopped by ``POST /cancel/{id}``; any request is
stopped when its client goes away (:mod:`.inflight`, :mod:`faceswap.swap_protocol`). A stopped swap ends at its
next frame batch, frees its slot, stores nothing, and answers 409 ``cancelled``.

A request body may have at most :func:`max_body_bytes` (checked before it is read, 413
``input_too_large``; :mod:`faceswap.asgi.body_limit`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from faceswap import __version__
from faceswap.asgi.answers import install_error_handlers
from faceswap.asgi.body_limit import BodyBounds, BodyLimitMiddleware
from faceswap.config import InputLimits, Settings
from faceswap.engine_server.inflight import InFlight, until_stopped
from faceswap.errors import InputTooLargeError, NotFoundError, UrlForbiddenError
from faceswap.service.processors import face_swap
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.context import WorkerContext
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.records import new_task_id
from faceswap.storage.keys import validate_key
from faceswap.storage.open import storage_from_settings
from faceswap.storage.uploads import store_bytes
from faceswap.swap_protocol import (
    CANCEL_PREFIX,
    REQUEST_ID_HEADER,
    REQUEST_ID_PATTERN,
    FaceSwapResponse,
)

logger = logging.getLogger(__name__)

DOWNLOAD_PREFIX = "/api/download/"
_REF_FIELDS = ("source_url", "target_url", "reference_url")


def max_body_bytes(limits: InputLimits) -> int:
    """The most bytes a request body here may have: what a multipart request to the API may carry
    (``limits.multipart_bytes``) base64-encoded, as the inputs of a swap come inline as ``data:`` URLs."""
    return -(-limits.multipart_bytes // 3) * 4


class ProcessBody(BaseModel):
    """The ``wf_json`` of a ``face_swap`` task, plus ``return_base64``."""

    model_config = ConfigDict(extra="allow")

    target_url: str = Field(min_length=1)
    return_base64: bool = Field(default=False, description="also return the result inline as base64")


def local_input(ref: str, root: Path | None, max_bytes: int) -> bytes | None:
    """The bytes of a local path input (``/abs/path`` or ``file:///abs/path``) under ``root``; None for
    other references. A path outside ``root``, or any path when ``root`` is None, is ``url_forbidden``."""
    if ref.startswith("file://"):
        ref = ref.removeprefix("file://")
    elif not ref.startswith("/"):
        return None
    if root is None:
        raise UrlForbiddenError(
            "this engine service reads no local paths (engine_server.input_root is not set)"
        )
    path = Path(ref).resolve()
    if not path.is_relative_to(root.resolve()):
        raise UrlForbiddenError(f"{ref} is outside the engine service's input root")
    if not path.is_file():
        raise NotFoundError(f"no input file {ref}")
    if path.stat().st_size > max_bytes:
        raise InputTooLargeError(f"{ref} is larger than {max_bytes} bytes")
    return path.read_bytes()


class EngineService:
    """What the app's routes share: settings, storage, loaded engines, a limit on swaps at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.storage = storage_from_settings(settings)
        self.worker = WorkerContext.from_settings(settings, self.storage)
        self.slots = asyncio.Semaphore(settings.engine_server.concurrency)
        self.busy = 0
        self.inflight = InFlight()

    async def ref(self, ref: str) -> str:
        """A reference the swap can read: local paths become stored uploads; URLs stay as they are."""
        data = local_input(ref, self.settings.engine_server.input_root, self.settings.limits.max_bytes)
        if data is not None:
            return (await store_bytes(self.storage, data, self.settings.limits.max_bytes)).file_id
        if ref.startswith(("http://", "https://", "data:")):
            return ref
        raise UrlForbiddenError(f"input {ref[:80]!r} is not an http(s) or data: URL nor an absolute path")

    async def swap(
        self, body: ProcessBody, request_id: str | None, gone: Callable[[], Awaitable[bool]]
    ) -> tuple[str, dict[str, Any]]:
        """Runs one swap; stopped by ``POST /cancel/{request_id}`` or when ``gone()`` (see :mod:`.inflight`)."""
        swap_id = new_task_id()
        with self.inflight.track(request_id or swap_id) as stop:
            wf = body.model_dump(exclude={"return_base64"}, exclude_none=True)
            for name in _REF_FIELDS:
                if isinstance(wf.get(name), str):
                    wf[name] = await self.ref(wf[name])
            if isinstance(wf.get("source_urls"), list):
                wf["source_urls"] = [await self.ref(str(r)) for r in wf["source_urls"]]
            params = {"input_data": {"wf_json": wf}}
            task = TaskCreate.model_validate({"workflow": "face_swap", "params": params})
            run = TaskRun(task_id=swap_id, task=task, worker=self.worker)
            result = await until_stopped(self._swap(run, request_id), run, stop, gone)
        logger.info("swap %s done in %.2f s", run.task_id, result.get("processing_time", 0.0))
        return run.task_id, result

    async def _swap(self, run: TaskRun, request_id: str | None) -> dict[str, Any]:
        async with self.slots:
            logger.info("swap %s started (request %s)", run.task_id, request_id or "without an id")
            self.busy += 1
            try:
                return await face_swap.process(run)
            finally:
                self.busy -= 1


def create_engine_app(settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = EngineService(settings)
        app.state.engine = service
        try:
            yield
        finally:
            await service.storage.aclose()

    app = FastAPI(
        title="faceswap engine",
        version=__version__,
        summary="The face swap engine as a service: POST /process, GET /health",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    body_bytes = max_body_bytes(settings.limits)
    app.add_middleware(BodyLimitMiddleware, bounds=BodyBounds(multipart=body_bytes, other=body_bytes))

    @app.get("/health", summary="Liveness, and which engine this service runs")
    async def health(request: Request) -> dict[str, Any]:
        service: EngineService = request.app.state.engine
        return {
            "status": "ok",
            "engine": settings.engine.engine,
            "busy": service.busy,
            "version": __version__,
        }

    @app.post(
        "/process",
        summary="Swap and answer with the result",
        response_model=FaceSwapResponse,
        responses={409: {"description": "stopped by POST /cancel/{id} (code `cancelled`)"}},
    )
    async def process(
        request: Request,
        body: ProcessBody,
        request_id: Annotated[
            str | None,
            Header(
                alias=REQUEST_ID_HEADER,
                pattern=REQUEST_ID_PATTERN,
                description="names this request, so that POST /cancel/{id} can stop it",
            ),
        ] = None,
    ) -> FaceSwapResponse:
        service: EngineService = request.app.state.engine
        job_id, result = await service.swap(body, request_id, request.is_disconnected)
        url = str(result["output_url"])
        if url.startswith("/"):
            url = str(request.base_url).rstrip("/") + url
        inline = None
        if body.return_base64:
            inline = base64.b64encode(await service.storage.get(result["file_id"])).decode()
        return FaceSwapResponse.of(job_id, result, url, service.storage.scheme, inline)

    @app.post(
        CANCEL_PREFIX + "{request_id}",
        status_code=202,
        summary="Stop a running POST /process named with X-Request-Id (404 if none is running)",
    )
    async def cancel(
        request: Request, request_id: Annotated[str, PathParam(pattern=REQUEST_ID_PATTERN)]
    ) -> JSONResponse:
        service: EngineService = request.app.state.engine
        service.inflight.cancel(request_id)
        logger.info("request %s: cancel asked", request_id)
        return JSONResponse({"request_id": request_id, "status": "cancelling"}, status_code=202)

    @app.get(DOWNLOAD_PREFIX + "{key:path}", summary="A result's bytes")
    async def download(request: Request, key: str) -> Response:
        service: EngineService = request.app.state.engine
        obj = await service.storage.stat(validate_key(key))
        return Response(await service.storage.get(obj.key), media_type=obj.content_type)

    return app
