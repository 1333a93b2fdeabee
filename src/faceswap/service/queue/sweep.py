"""Recovering stuck jobs the SAQ way, for queues that find their running jobs themselves.

A running job is stuck when it is past its ``timeout`` or has not been touched (heartbeat:
any ``job.update``) for ``heartbeat`` seconds (``Job.stuck``). It is aborted, so a worker that
is still alive cancels it; after ``abort`` seconds it is retried if it has attempts left, else
it ends ``aborted`` with the queue's swept error message. This is the loop SAQ's Postgres
backend runs in its ``sweep``; a job that finished on its own meanwhile is left as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from saq.job import Job, Status
from saq.queue.base import Queue

logger = logging.getLogger(__name__)


async def sweep_stuck(queue: Queue, running: Iterable[Job], abort: float) -> list[str]:
    """Aborts, then retries or fails, the stuck jobs among ``running``; returns their keys."""
    swept = []
    for job in running:
        if not job.stuck:
            continue
        swept.append(job.key)
        logger.info("Sweeping %s", job.info(logger.isEnabledFor(logging.DEBUG)))
        await queue.abort(job, error=queue.swept_error_message)
        try:
            await job.refresh(abort)
        except TimeoutError:
            logger.info("Could not abort job %s", job.key)
        if job.status in (Status.COMPLETE, Status.FAILED):
            continue
        if job.retryable:
            await queue.retry(job, error=queue.swept_error_message)
        else:
            await queue.finish(job, Status.ABORTED, error=queue.swept_error_message)
    return swept
