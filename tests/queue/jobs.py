"""Driving a queue's jobs by hand in tests: claiming one as ``saq.Worker`` does, letting its heartbeat lapse."""

from __future__ import annotations

from saq import Queue
from saq.job import Job, Status
from saq.utils import now


async def start(queue: Queue, key: str, worker: str) -> Job:
    """Takes the next job the way saq.Worker does."""
    job = await queue.dequeue(timeout=3, poll_interval=0.05)
    assert job is not None
    assert job.key == key
    job.started, job.worker_id = now(), worker
    job.attempts += 1
    await job.update(status=Status.ACTIVE)
    return job


async def make_stuck(queue: Queue, key: str) -> Job:
    """The job's last heartbeat is older than its ``heartbeat`` (as when the worker is starved); returns
    the stored copy."""
    stored = await queue.job(key)
    assert stored is not None
    stored.touched -= 5_000
    await queue._update(queue.copy(stored))  # the stored copy, untouched otherwise
    return stored
