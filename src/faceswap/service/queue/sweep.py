"""Recovering the jobs of lost workers, for queues that find their running jobs themselves.

A running job is stuck when it is past its ``timeout`` or has not been touched (heartbeat:
any ``job.update``) for ``heartbeat`` seconds (``Job.stuck``); an ``aborting`` job (a cancel
its worker has not yet ended) counts too. A stuck job is recovered at once, writing as the attempt it
was found under (:mod:`.lifecycle`), so a job that finished, or was claimed again, between the read
and the write is left as it is:

- it is retried if it has attempts left (a new attempt id revokes the lost one: if that worker is
  alive after all, it sees the job is no longer its own, stops, and its writes are refused), else it
  ends ``failed`` with the swept error message (``worker_lost``);
- a cancelled job (``cancelling``) lands ``cancelled`` either way, as every end of a cancelled job does.

There is no abort-then-wait step, so a sweeper killed mid-sweep leaves no job half-recovered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from saq.job import Job, Status
from saq.queue.base import Queue

from faceswap.service.queue.attempts import attempt_of
from faceswap.service.queue.guard import SWEPT_MESSAGE

logger = logging.getLogger(__name__)


async def recover(queue: Queue, job: Job) -> bool:
    """Ends or re-queues ``job`` if it is still stuck now (see the module docstring); a sweep's list of
    running jobs may be seconds old by the time it gets to this one."""
    fresh = await queue.job(job.key)
    if fresh is None or not fresh.stuck or attempt_of(fresh) != attempt_of(job):
        return False
    if fresh.retryable:
        await queue.retry(fresh, error=SWEPT_MESSAGE)
    else:
        await queue.finish(fresh, Status.FAILED, error=SWEPT_MESSAGE)
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
