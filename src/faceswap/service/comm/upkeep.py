"""The API's side of remote leases while it runs: end cancelled remote tasks, sweep lost leases.

An API process that leases tasks to remote workers may be the only process near the queue (no SAQ
worker runs anywhere), so nothing else would sweep. When the worker routes are enabled, the API
therefore, every second, makes due retries ready (``Queue.schedule``, as SAQ workers do), and every
``service.sweep_interval_s``:

1. ends CANCELLED every ``cancelling`` task a remote worker holds (the lifecycle's ``stop``), so a
   cancel takes effect even if that worker died (a live one learns it from its next heartbeat answer);
2. runs the queue's own ``sweep``, which re-queues (or fails ``worker_lost``) running jobs that were
   not touched for their ``heartbeat``: remote leases that stopped heartbeating, and local workers'
   jobs alike. Each backend lets one process sweep at a time, so API replicas and workers do not
   sweep the same job twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI
from saq.job import Status

from faceswap.config import Settings
from faceswap.service.comm.auth import WorkerTokens
from faceswap.service.comm.leases import Leases, is_remote
from faceswap.service.queue.owned import LifecycleQueue
from faceswap.storage.base import Storage

logger = logging.getLogger(__name__)

SCHEDULE_EVERY_S = 1.0
"""How often due retries are moved to the ready queue (SAQ workers do it as often)."""


async def end_cancelled_leases(leases: Leases) -> int:
    """Ends CANCELLED the cancelling tasks remote workers hold; returns how many."""
    ended = 0
    async for job in leases.queue.iter_jobs([Status.ABORTING]):
        if is_remote(job):
            await leases.end_cancelled(job)
            ended += 1
    return ended


async def upkeep_loop(leases: Leases) -> None:
    queue = leases.queue
    every = leases.settings.service.sweep_interval_s
    last_sweep = 0.0
    while True:
        try:
            await queue.schedule()  # due retries become ready (Redis and Postgres need this)
            if time.monotonic() - last_sweep >= every:
                last_sweep = time.monotonic()
                await end_cancelled_leases(leases)
                swept = await queue.sweep(lock=every)  # (SAQ's default lock, 60 s, would stop all sweeps)
                if swept:
                    logger.info("swept %d stuck task(s): %s", len(swept), ", ".join(swept))
        except Exception:
            logger.exception("lease upkeep failed; trying again later")
        await asyncio.sleep(SCHEDULE_EVERY_S)


@contextlib.asynccontextmanager
async def remote_leases(
    app: FastAPI, queue: LifecycleQueue, storage: Storage, settings: Settings
) -> AsyncIterator[Leases]:
    """Sets ``app.state.faceswap_comm`` for the worker routes; runs the upkeep loop when they are enabled."""
    tokens = WorkerTokens.from_setting(settings.service.worker_tokens)
    leases = Leases(queue, storage, settings, tokens)
    app.state.faceswap_comm = leases
    upkeep = asyncio.create_task(upkeep_loop(leases)) if tokens.enabled else None
    if tokens.enabled:
        logger.info("worker routes enabled for %d token(s)", len(tokens.digests))
    try:
        yield leases
    finally:
        if upkeep is not None:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
