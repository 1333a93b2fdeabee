"""Exclusive completion on SQLite, Redis and PostgreSQL: an attempt whose job was swept while it still ran (its
heartbeat late on a saturated machine) cannot finish, re-queue or update the job once another
attempt holds it, and a sweep working from an old list leaves a finished job alone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from saq import Queue
from saq.job import Status

from faceswap.service.queue.attempts import attempt_of
from tests.queue.jobs import make_stuck, start

pytestmark = pytest.mark.timeout(30)


async def test_swept_attempt_cannot_complete_after_the_next_one_claimed(queue: Queue) -> None:
    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=3)
    first = await start(queue, key, "first")
    await make_stuck(queue, key)
    swept = await queue.sweep(lock=1)
    assert any(s.endswith(key) for s in swept)

    second = await start(queue, key, "second")
    assert (first.attempts, second.attempts) == (1, 2)
    assert attempt_of(first) != attempt_of(second)

    # the first attempt is still running: its progress, result and retry are all dropped
    await first.update(progress=0.9)
    await first.finish(Status.COMPLETE, result="from the first attempt")
    await first.retry("late")
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.result) == (Status.ACTIVE, 2, None)
    assert attempt_of(stored) == attempt_of(second)

    await second.finish(Status.COMPLETE, result="from the second attempt")
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.result) == (Status.COMPLETE, "from the second attempt")


async def test_sweep_from_an_old_list_leaves_a_finished_job(queue: Queue) -> None:
    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=3)
    job = await start(queue, key, "w")
    old: Any = await queue.job(key)
    old.touched -= 5_000  # what a slow sweeper listed seconds ago: stuck by then
    assert old.stuck
    await job.finish(Status.COMPLETE, result=1)

    from faceswap.service.queue.sweep import sweep_stuck

    assert await sweep_stuck(queue, [old]) == []
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.result) == (Status.COMPLETE, 1)
    assert await queue.dequeue(timeout=0.3, poll_interval=0.05) is None


async def test_cancelled_job_of_a_dead_worker_ends_cancelled(queue: Queue) -> None:
    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=3)
    job = await start(queue, key, "dies")
    await queue.abort(job, "cancelled: by the client")
    await make_stuck(queue, key)  # its worker died before ending the abort
    assert any(s.endswith(key) for s in await queue.sweep(lock=1))
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.error) == (Status.ABORTED, "cancelled: by the client")
