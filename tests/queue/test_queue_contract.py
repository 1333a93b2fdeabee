"""The queue contract: every backend (SQLite, Redis, PostgreSQL) behaves the same under SAQ.

Each test runs once per backend through the ``queue`` fixture (tests/queue/conftest.py), against
the real servers; a backend whose server is not reachable is skipped.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from saq import CronJob, Job, Queue, Status
from saq.queue.base import JobError
from saq.utils import now

pytestmark = pytest.mark.asyncio


def new_key() -> str:
    return f"k-{uuid.uuid4().hex}"


async def take(queue: Queue, timeout: float = 3.0) -> Job | None:
    return await queue.dequeue(timeout=timeout, poll_interval=0.05)


async def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def finished(queue: Queue, key: str, timeout: float = 10.0) -> Job:
    """Polls until the job reaches a terminal status. (Not ``refresh(until_complete)``: on Redis it
    misses a status change published before its subscription starts, then waits out its timeout.)"""

    async def terminal() -> Job | None:
        job = await queue.job(key)
        return job if job and job.status in (Status.COMPLETE, Status.FAILED, Status.ABORTED) else None

    job: Job = await wait_for(terminal, timeout)
    return job


async def add(ctx: Any, *, a: int, b: int) -> int:
    return a + b


async def boom(ctx: Any) -> None:
    raise RuntimeError("boom")


async def test_enqueue_then_look_up_by_key(queue: Queue) -> None:
    key = new_key()
    job = await queue.enqueue("add", key=key, a=1, b=2, timeout=5)
    assert job is not None
    assert job.status == Status.QUEUED

    stored = await queue.job(key)
    assert stored is not None
    assert (stored.key, stored.function, stored.kwargs, stored.status) == (
        key,
        "add",
        {"a": 1, "b": 2},
        "queued",
    )
    assert await queue.job(new_key()) is None

    found = await queue.jobs([key, new_key()])
    assert [j.key if j else None for j in found] == [key, None]


async def test_same_key_is_enqueued_once(queue: Queue) -> None:
    key = new_key()
    assert await queue.enqueue("add", key=key, a=1, b=2) is not None
    assert await queue.enqueue("add", key=key, a=5, b=5) is None
    assert await queue.count("incomplete") == 1
    stored = await queue.job(key)
    assert stored is not None
    assert stored.kwargs == {"a": 1, "b": 2}


async def test_counts_and_info(queue: Queue) -> None:
    keys = [new_key() for _ in range(3)]
    await queue.enqueue("add", key=keys[0], a=1, b=1)
    await queue.enqueue("add", key=keys[1], a=1, b=1)
    await queue.enqueue("add", key=keys[2], a=1, b=1, scheduled=int(time.time()) + 600)
    assert (await queue.count("queued"), await queue.count("active"), await queue.count("incomplete")) == (
        2,
        0,
        3,
    )

    job = await take(queue)
    assert job is not None
    assert job.key == keys[0]
    assert (await queue.count("queued"), await queue.count("active")) == (1, 1)

    worker_id = f"w{uuid.uuid4().hex[:8]}"
    await queue.worker_info(worker_id, queue_key=queue.name, metadata={"gpu": "none"}, ttl=30)
    info = await queue.info(jobs=True)
    assert info["name"] == queue.name
    assert (info["queued"], info["active"], info["scheduled"]) == (1, 1, 1)
    assert {j["key"] for j in info["jobs"]} == set(keys)
    assert worker_id in info["workers"]
    assert info["workers"][worker_id]["metadata"] == {"gpu": "none"}
    stats = info["workers"][worker_id]["stats"]
    assert stats is not None
    assert stats["complete"] == 0


async def test_dequeue_by_priority(queue: Queue, backend: str) -> None:
    if backend == "redis":
        pytest.skip("SAQ's Redis backend has no priorities (its queue is a FIFO list)")
    keys = {priority: new_key() for priority in (5, 0, 1)}
    for priority, key in keys.items():
        await queue.enqueue("add", key=key, priority=priority, a=1, b=1)
    taken = [await take(queue) for _ in keys]
    assert [j.key if j else None for j in taken] == [keys[0], keys[1], keys[5]]


async def test_dequeue_by_scheduled_time(queue: Queue) -> None:
    t0 = int(time.time())
    later, earlier, future = new_key(), new_key(), new_key()
    await queue.enqueue("add", key=later, scheduled=t0 - 5, a=1, b=1)
    await queue.enqueue("add", key=earlier, scheduled=t0 - 10, a=1, b=1)
    await queue.enqueue("add", key=future, scheduled=t0 + 600, a=1, b=1)
    await queue.schedule()  # Redis moves due jobs onto its ready list here; the others need not
    first, second = await take(queue), await take(queue)
    assert (first and first.key, second and second.key) == (earlier, later)
    assert await take(queue, timeout=0.3) is None


async def test_worker_runs_a_task_and_a_reader_sees_its_progress(queue: Queue, running_worker: Any) -> None:
    release = asyncio.Event()

    async def stepper(ctx: Any, *, n: int) -> int:
        await ctx["job"].update(progress=0.5, meta={"stage": "halfway"})
        await asyncio.wait_for(release.wait(), 10)
        return n * 2

    key = new_key()
    async with running_worker(queue, [("stepper", stepper)]):
        job = await queue.enqueue("stepper", key=key, n=21, timeout=20)
        assert job is not None

        async def halfway() -> Job | None:
            seen = await queue.job(key)
            return seen if seen and seen.progress == 0.5 else None

        seen = await wait_for(halfway)
        assert seen.status == Status.ACTIVE
        assert seen.meta["stage"] == "halfway"  # (beside the attempt id the queue keeps there)
        assert seen.attempts == 1

        waiter = asyncio.create_task(job.refresh(until_complete=10))
        await asyncio.sleep(0.3)  # Job.refresh waits through queue.listen, subscribed by now
        release.set()
        await waiter
    assert job.status == Status.COMPLETE
    assert job.result == 42
    assert job.progress == 1.0


async def test_apply_waits_for_the_result(queue: Queue, running_worker: Any) -> None:
    async with running_worker(queue, [add, boom]):
        assert await queue.apply("add", a=1, b=2, timeout=10, poll_interval=0.05) == 3
        with pytest.raises(JobError, match="boom"):
            await queue.apply("boom", timeout=10, poll_interval=0.05)


async def test_failing_task_is_retried_after_its_delay_then_fails(queue: Queue, running_worker: Any) -> None:
    calls: list[float] = []

    async def flaky(ctx: Any) -> None:
        calls.append(time.monotonic())
        raise RuntimeError(f"flaky failure {len(calls)}")

    async with running_worker(queue, [("flaky", flaky)]):
        job = await queue.enqueue("flaky", key=new_key(), retries=2, retry_delay=1.5, timeout=10)
        assert job is not None
        job = await finished(queue, job.key, timeout=15)
    assert job.status == Status.FAILED
    assert job.attempts == 2
    assert len(calls) == 2
    assert job.error is not None
    assert "flaky failure 2" in job.error
    # at least 1.5 s; SAQ's Postgres backend stores the retry time in whole seconds, so >= 0.5 s there
    assert calls[1] - calls[0] >= 0.45


async def test_retry_with_backoff_holds_the_job_back(queue: Queue) -> None:
    key = new_key()
    await queue.enqueue("add", key=key, retries=3, retry_delay=1e6, retry_backoff=True, a=1, b=1)
    job = await take(queue)
    assert job is not None
    job.attempts += 1
    await job.update(status=Status.ACTIVE)
    await queue.retry(job, "transient")

    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.error) == (Status.QUEUED, "transient")
    assert (await queue.count("queued"), await queue.count("incomplete")) == (0, 1)
    assert await take(queue, timeout=0.3) is None


async def test_aborted_queued_job_never_runs(queue: Queue, running_worker: Any) -> None:
    ran: list[str] = []

    async def record(ctx: Any, *, name: str) -> str:
        ran.append(name)
        return name

    victim = await queue.enqueue("record", key=new_key(), name="victim")
    assert victim is not None
    await queue.abort(victim, "cancelled by user")
    stored = await queue.job(victim.key)
    assert stored is not None
    assert (stored.status, stored.error) == (Status.ABORTED, "cancelled by user")
    assert await queue.count("incomplete") == 0

    async with running_worker(queue, [("record", record)]):
        marker = await queue.enqueue("record", key=new_key(), name="marker")
        assert marker is not None
        marker = await finished(queue, marker.key)
    assert marker.status == Status.COMPLETE
    assert ran == ["marker"]


async def _abort_running(queue: Queue, running_worker: Any, *, report_progress: bool) -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def long_task(ctx: Any) -> str:
        await ctx["job"].update(progress=0.01)
        started.set()
        try:
            for step in range(400):  # 20 s unless stopped
                await asyncio.sleep(0.05)
                if report_progress:
                    await ctx["job"].update(progress=step / 400)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        outcome.append("ran to the end")
        return "done"

    async with running_worker(queue, [("long_task", long_task)]):
        job = await queue.enqueue("long_task", key=new_key(), timeout=60)
        assert job is not None
        await asyncio.wait_for(started.wait(), 10)
        t0 = time.monotonic()
        await queue.abort(job, "stop it")
        job = await finished(queue, job.key, timeout=15)
        assert time.monotonic() - t0 < 8  # the worker checks for aborts every 0.1 s here
    assert outcome == ["cancelled"]
    assert job.status == Status.ABORTED
    if not report_progress:
        assert job.error == "stop it"
    # else the task's own progress updates rewrite the stored job after the abort, so the error
    # SAQ's worker finishes it with is "abort" or none at all


async def test_aborted_running_job_is_stopped(queue: Queue, running_worker: Any) -> None:
    await _abort_running(queue, running_worker, report_progress=False)


async def test_abort_is_not_lost_while_the_task_reports_progress(
    queue: Queue, running_worker: Any, backend: str
) -> None:
    # (SAQ's own Redis queue lost such aborts; ours updates under WATCH/MULTI)
    await _abort_running(queue, running_worker, report_progress=True)


@pytest.mark.parametrize("retries", [2, 1])
async def test_job_of_a_dead_worker_is_swept(queue: Queue, running_worker: Any, retries: int) -> None:
    key = new_key()
    await queue.enqueue("add", key=key, heartbeat=1, timeout=60, retries=retries, a=20, b=22)

    # a worker takes the job the way saq.Worker does, then dies: no heartbeat, no finish
    dead = await take(queue)
    assert dead is not None
    assert dead.key == key
    dead.started, dead.worker_id = now(), "dead-worker"
    dead.attempts += 1
    await dead.update(status=Status.ACTIVE)

    async def sweep() -> list[str]:
        return await queue.sweep(lock=1, abort=0.2)

    swept = await wait_for(sweep, timeout=8, interval=0.3)
    assert len(swept) == 1
    assert swept[0].endswith(key)

    stored = await queue.job(key)
    assert stored is not None
    assert stored.error == queue.swept_error_message
    if retries == 1:  # no attempt left: the job ends failed (worker_lost), not cancelled
        assert stored.status == Status.FAILED
        return
    assert stored.status == Status.QUEUED
    async with running_worker(queue, [add]):
        stored = await finished(queue, key)
    assert (stored.status, stored.result, stored.attempts) == (Status.COMPLETE, 42, 2)


async def test_finished_job_is_forgotten_after_its_ttl(queue: Queue) -> None:
    key = new_key()
    await queue.enqueue("add", key=key, ttl=1, a=1, b=1)
    job = await take(queue)
    assert job is not None
    await job.finish(Status.COMPLETE, result=2)
    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.result) == (Status.COMPLETE, 2)

    async def forgotten() -> bool:
        await queue.sweep(lock=1)  # deletes expired jobs (Redis expires them by itself)
        return await queue.job(key) is None

    assert await wait_for(forgotten, timeout=5, interval=0.3)


async def test_cron_job_is_scheduled_and_run(queue: Queue, running_worker: Any) -> None:
    ticks: list[float] = []

    async def tick(ctx: Any) -> None:
        ticks.append(time.monotonic())

    # a cron job's key is "cron:<function name>", and Postgres keys are global: make it unique
    tick.__qualname__ = f"tick_{uuid.uuid4().hex}"
    async with running_worker(queue, [], cron_jobs=[CronJob(tick, cron="* * * * * *", timeout=5)]):

        async def ticked() -> bool:
            return bool(ticks)

        await wait_for(ticked, timeout=6)
