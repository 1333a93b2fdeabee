"""``create_app(settings, workers=N)``: the FastAPI app, its lifespan, and optional in-process workers.

Request bodies are bounded before they are read (:mod:`faceswap.asgi.body_limit`): a multipart request by
``limits.multipart_bytes`` (except remote workers' result uploads), any other body by
``limits.max_body_bytes``.

The lifespan connects the queue and opens the storage once; with ``workers > 0`` it also runs that many
task workers in the same event loop (the embedded default), and stops them (draining) on shutdown. It
also deletes expired uploads and results every ``RETENTION_EVERY_S`` (``storage.*_retention_hours``),
and sweeps what killed writes left in the storage and the scratch folder at start-up and as often
(:mod:`faceswap.service.leftovers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from faceswap import __version__
from faceswap.asgi.answers import install_error_handlers
from faceswap.asgi.body_limit import BodyBounds, BodyLimitMiddleware
from faceswap.config import Settings
from faceswap.service.api.auth import WORKER_PREFIX, Authenticator, AuthMiddleware
from faceswap.service.api.envelope import ERROR_RESPONSES
from faceswap.service.api.http_metrics import HttpMetricsMiddleware
from faceswap.service.api.ratelimit import RateLimiter
from faceswap.service.api.routes import (
    batch,
    comm,
    face_swap,
    health,
    legacy,
    preview,
    tasks,
    uploads,
    web,
)
from faceswap.service.api.routes import (
    metrics as metrics_route,
)
from faceswap.service.api.state import ServiceState
from faceswap.service.comm.upkeep import remote_leases
from faceswap.service.keys.store import open_key_store
from faceswap.service.leftovers import sweep_leftovers
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.queue import open_queue
from faceswap.service.task_events import task_events
from faceswap.service.tasks.client import TaskClient
from faceswap.storage.open import storage_from_settings
from faceswap.storage.retention import cleanup_expired, retention_rules

logger = logging.getLogger(__name__)

RETENTION_EVERY_S = 900.0
WEBHOOK_DRAIN_S = 10.0
"""How long a stopping API waits for the webhook deliveries under way."""
DOCS_ASSETS = "/docs-assets"
"""Where Swagger UI's and ReDoc's scripts and styles are served from (no CDN)."""


async def retention_loop(state: ServiceState) -> None:
    """Deletes expired objects now and every ``RETENTION_EVERY_S``, and sweeps the leftovers of killed
    writes every ``RETENTION_EVERY_S`` (the lifespan swept them once at start-up)."""
    rules = retention_rules(state.settings.storage)
    while True:
        try:
            await cleanup_expired(state.storage, datetime.now(UTC), rules)
        except Exception:
            logger.exception("retention cleanup failed; trying again later")
        await asyncio.sleep(RETENTION_EVERY_S)
        await sweep_leftovers(state.storage, state.settings.data_dir)


@contextlib.asynccontextmanager
async def _workers(state: ServiceState, count: int) -> AsyncIterator[None]:
    if count <= 0:
        yield
        return
    from faceswap.service.processors.context import WorkerContext
    from faceswap.service.worker.runner import build_worker

    context = WorkerContext.from_settings(state.settings, state.storage, state.metrics)
    workers = [build_worker(state.queue, context, handle_signals=False) for _ in range(count)]
    running = [asyncio.create_task(w.start()) for w in workers]
    logger.info("%d in-process worker(s) started", count)
    try:
        yield
    finally:
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
        await asyncio.gather(*running, return_exceptions=True)


def create_app(settings: Settings, *, workers: int = 0) -> FastAPI:
    """The API; ``workers`` in-process task workers run inside it (0: API only)."""

    metrics = ServiceMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        queue = open_queue(settings.queue.url, name=settings.queue.name, data_dir=settings.data_dir)
        await queue.connect()
        events = task_events(queue, settings, metrics)
        storage = storage_from_settings(settings)
        tasks = TaskClient(queue, settings.service, metrics=metrics)
        state = ServiceState(settings, queue, storage, tasks, metrics=metrics)
        app.state.faceswap = state
        keys = open_key_store(settings)
        auth = Authenticator(keys, settings.service, RateLimiter.from_settings(settings))
        app.state.faceswap_auth = auth
        await sweep_leftovers(storage, settings.data_dir)  # before any in-process worker starts
        retention = asyncio.create_task(retention_loop(state))
        try:
            async with (
                _workers(state, workers),
                remote_leases(app, state.queue, state.storage, state.settings),
            ):
                yield {}
        finally:
            retention.cancel()
            await events.drain(WEBHOOK_DRAIN_S)
            await auth.aclose()
            await keys.aclose()
            await storage.aclose()
            await queue.disconnect()

    # Swagger UI and ReDoc from the assets fastapi-offline ships: /docs and /redoc work with no network
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        title="faceswap",
        version=__version__,
        summary="Self-hostable face swap: tasks with progress, cancel, retries, webhooks",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(AuthMiddleware)
    limits = settings.limits
    # a remote worker's result upload is not bounded: results have no size limit (a long video's can be
    # larger than its input); its route checks the worker token before it reads the body
    bounds = BodyBounds(limits.multipart_bytes, limits.max_body_bytes, multipart_exempt=(WORKER_PREFIX,))
    app.add_middleware(BodyLimitMiddleware, bounds=bounds)
    if settings.service.metrics:
        app.add_middleware(HttpMetricsMiddleware, metrics=metrics)
        app.include_router(metrics_route.router, responses=ERROR_RESPONSES)
    if settings.service.cors_origins:  # outermost, so that preflights and refusals carry CORS headers
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.service.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key"],
        )
    for module in (uploads, tasks, legacy, face_swap, preview, batch, health, web, comm):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    return app
