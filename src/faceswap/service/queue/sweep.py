"""Recovering the jobs of lost workers, for queues that find their running jobs themselves.

A running job is stuck when it is past its ``timeout`` or has not been touched (heartbeat:
any ``job.update``) for ``heartbeat`` seconds (``Job.stuck``); an ``aborting`` job (a cancel
its worker has not yet ended) counts too. A stuck job is recovered at once, with the queue's
attempt-owned writes (:mod:`.attempts`), so a job that finished, or was claimed again, between
the read and the write is left as it is:

- a cancelled job whose worker is gone ends ``aborted`` (the task shows CANCELLED);
- any other is retried if it has attempts left (the retry revokes the lost attempt: if that worker
  is alive after all, it sees the job is no longer its own, stops, and its result is dropped),
  else it ends ``aborted`` with the queue's swept error message (``worker_lost``).

Unlike SAQ's own sweeps there is no abort-then-wait step: a sweeper killed during that wait used to
leave the job ``aborting`` and out of every list, so nothing ever ended it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from saq.job import Job, Status
from saq.queue.base import Queue

from faceswap.service.queue.attempts import attempt_of

logger = logging.getLogger(__name__)


async def recover(queue: Queue, job: Job) -> bool:
    """Ends or re-queues ``job`` if it is still stuck now (see the module docstring); a sweep's list of
    running jobs may be seconds old by the time it gets to this one."""
    fresh = await queue.job(job.key)
    if fresh is None or not fresh.stuck or attempt_of(fresh) != attempt_of(job):
        return False
    job = fresh
    if job.status == Status.ABORTING and job.error != queue.swept_error_message:
        await queue.finish(job, Status.ABORTED, error=job.error)
    elif job.retryable:
        await queue.retry(job, error=queue.swept_error_message)
    else:
        await queue.finish(job, Status.ABORTED, error=queue.swept_error_message)
    return True


async def sweep_stuck(queue: Queue, running: Iterable[Job], abort: float = 0.0) -> list[str]:
    """Recovers the stuck jobs among ``running``; returns their keys. (``abort`` is SAQ's abort wait,
    accepted for its signature and not used.)"""
    swept = []
    for job in running:
        if job.stuck and await recover(queue, job):
            swept.append(job.key)
            logger.info("Swept %s", job.info(logger.isEnabledFor(logging.DEBUG)))
    return swept
