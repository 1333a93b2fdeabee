"""Building SAQ workers that run tasks, and running them as a process (``faceswap worker``).

A worker connects to the queue from settings, loads engines on first use into its
:class:`~faceswap.service.processors.context.WorkerContext` (``faceswap worker`` loads the default one as it
starts, before its first task: ``service.preload_engine``), sweeps stuck jobs of dead workers every
``service.sweep_interval_s`` and checks for cancels every ``service.abort_poll_s``. ``faceswap worker``
first sweeps what killed work left in the storage and the scratch folder
(:mod:`faceswap.service.leftovers`). On SIGTERM or SIGINT it stops taking tasks and lets running ones
finish for up to ``service.image_timeout_s`` (then they are put back in the queue for another worker);
an idle worker stops within ``DEQUEUE_WAIT_S`` (its upkeep loops end at once, see :mod:`.saq_worker`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from faceswap.config import Settings
from faceswap.service.leftovers import sweep_leftovers
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.processors.context import WorkerContext
from faceswap.service.queue import open_queue
from faceswap.service.queue.owned import LifecycleQueue
from faceswap.service.task_events import task_events
from faceswap.service.tasks.records import TASK_FUNCTION, VIDEO_ENCODERS_META
from faceswap.service.worker.run import after_process, run_task
from faceswap.service.worker.saq_worker import TaskWorker
from faceswap.storage.base import Storage
from faceswap.storage.open import storage_from_settings
from faceswap.video.options import available_encoders

logger = logging.getLogger(__name__)

WORKER_INFO_S = 5
WEBHOOK_DRAIN_S = 30.0
"""How long a stopping worker waits for the webhook deliveries under way."""
DEQUEUE_WAIT_S = 0.5
"""Longest an idle worker's dequeue waits before it returns empty and the worker looks again. A
stopping worker lets the dequeue in flight end (cancelling it could strand a job it had just taken),
so this bounds how long an idle worker takes to stop. Redis blocks on the list and SQLite polls
(``SQLITE_POLL_S``) within it, and PostgreSQL's notifications wake it, so a task never waits for it."""
SQLITE_POLL_S = 0.03
"""How often an idle worker looks for a task in a SQLite queue (Redis blocks on the list instead);
each look is one short write transaction. SQLiteQueue's default (0.25 s) would add ~125 ms per task."""


def tune_for_workers(queue: LifecycleQueue) -> LifecycleQueue:
    """Shortens the SQLite queue's polling so an idle worker starts a task within a few tens of ms."""
    from faceswap.service.queue.sqlite import SqliteQueue

    if isinstance(queue, SqliteQueue):
        queue.poll_interval = min(queue.poll_interval, SQLITE_POLL_S)
    return queue


def queue_from_settings(settings: Settings) -> LifecycleQueue:
    """The task queue the settings name (not yet connected)."""
    return open_queue(settings.queue.url, name=settings.queue.name, data_dir=settings.data_dir)


def build_worker(
    queue: LifecycleQueue,
    context: WorkerContext,
    *,
    concurrency: int = 1,
    handle_signals: bool = True,
    preload: bool = False,
) -> TaskWorker:
    """A SAQ worker running tasks from ``queue`` with ``context``'s engines and storage; the queue's
    transitions send webhooks and count task ends in ``context.metrics`` (:mod:`..task_events`).
    ``preload``: the default engine is loaded as the worker starts, before it takes a task."""
    service = context.settings.service
    tune_for_workers(queue)
    events = task_events(queue, context.settings, context.metrics)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["worker"] = context
        if preload:
            await asyncio.to_thread(context.preload)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await events.drain(WEBHOOK_DRAIN_S)

    worker = TaskWorker(
        queue,
        [(TASK_FUNCTION, run_task)],
        concurrency=concurrency,
        startup=startup,
        shutdown=shutdown,
        after_process=after_process,
        timers=cast(
            Any,
            {
                "schedule": 1,
                "worker_info": WORKER_INFO_S,
                "sweep": service.sweep_interval_s,
                "abort": service.abort_poll_s,  # fractions work
            },
        ),
        dequeue_timeout=DEQUEUE_WAIT_S,
        shutdown_grace_period_s=service.image_timeout_s,
        metadata={"kind": "faceswap", VIDEO_ENCODERS_META: available_encoders()},
    )
    if not handle_signals:
        worker.SIGNALS = []  # the host process (uvicorn) owns the signals and stops the worker
    return worker


async def run_worker(
    settings: Settings,
    *,
    concurrency: int = 1,
    storage: Storage | None = None,
    metrics: ServiceMetrics | None = None,
) -> None:
    """Runs one worker until SIGTERM/SIGINT, then drains (see the module docstring); its tasks and
    engine loads are counted in ``metrics``."""
    queue = queue_from_settings(settings)
    await queue.connect()
    store = storage or storage_from_settings(settings)
    try:
        await sweep_leftovers(store, settings.data_dir)  # what a killed run of this worker left
        worker = build_worker(
            queue,
            WorkerContext.from_settings(settings, store, metrics),
            concurrency=concurrency,
            preload=settings.service.preload_engine,
        )
        logger.info("worker %s on %r, concurrency %d", worker.id, queue, concurrency)
        await worker.start()
    finally:
        await store.aclose()
        await queue.disconnect()
