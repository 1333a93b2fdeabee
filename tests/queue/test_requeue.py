"""A client's retry puts a finished job back in the queue under its key, atomically, on SQLite, Redis and
PostgreSQL: only a finished job, only under the attempt the caller read, and no write of the old attempt
applies afterwards."""

from __future__ import annotations

import uuid

import pytest
from saq import Queue
from saq.job import Status

from faceswap.service.queue.attempts import attempt_of
from faceswap.service.queue.owned import LifecycleQueue
from faceswap.service.tasks.records import RETRIES_META, retried
from tests.queue.jobs import start

pytestmark = pytest.mark.timeout(30)


async def test_failed_job_goes_back_to_the_queue_and_the_old_attempt_cannot_write(queue: Queue) -> None:
    assert isinstance(queue, LifecycleQueue)
    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=1, ttl=600)
    first = await start(queue, key, "first")
    await first.finish(Status.FAILED, error="boom")
    failed = await queue.job(key)
    assert failed is not None
    assert failed.status == Status.FAILED

    again = retried(failed, attempts_per_run=2)
    assert await queue.requeue(again, attempt_of(failed))
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.error, stored.progress, stored.attempts) == (Status.QUEUED, None, 0.0, 1)
    assert stored.retries == 3
    assert stored.meta[RETRIES_META] == 1
    assert attempt_of(stored) not in (None, attempt_of(failed))
    # the same retry again (it read the job before the first one landed) changes nothing
    assert not await queue.requeue(retried(failed, 2), attempt_of(failed))

    # the old attempt's late writes are dropped
    await first.update(progress=0.5)
    await first.finish(Status.COMPLETE, result="late")
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.result) == (Status.QUEUED, None)

    second = await start(queue, key, "second")
    assert second.attempts == 2
    assert attempt_of(second) != attempt_of(first)
    await second.finish(Status.COMPLETE, result="again")
    done = await queue.job(key)
    assert done is not None
    assert (done.status, done.result) == (Status.COMPLETE, "again")


async def test_only_finished_jobs_are_requeued(queue: Queue) -> None:
    assert isinstance(queue, LifecycleQueue)
    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=1)
    queued = await queue.job(key)
    assert queued is not None
    assert not await queue.requeue(retried(queued, 1), attempt_of(queued))
    running = await start(queue, key, "w")
    assert not await queue.requeue(retried(running, 1), attempt_of(running))
    stored = await queue.job(key)
    assert stored is not None
    assert stored.status == Status.ACTIVE
    assert attempt_of(stored) == attempt_of(running)
    assert not await queue.requeue(retried(running, 1), None)  # nor with another attempt id
