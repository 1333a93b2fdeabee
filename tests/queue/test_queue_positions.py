"""Queue positions on every backend (SQLite, Redis, PostgreSQL): a waiting job's place in line follows
the order workers take jobs in, moves up as the jobs ahead start or go, and is None for a job that is
not waiting. The counts are index range scans (checked with each database's query plan)."""

from __future__ import annotations

import sqlite3
import time
import uuid

import pytest
from saq import Job, Queue, Status

from faceswap.service.queue.positions import QueuePositions
from faceswap.service.tasks.records import new_task_id
from tests.queue.jobs import start

pytestmark = pytest.mark.asyncio


async def positions(queue: Queue, keys: list[str]) -> list[int | None]:
    assert isinstance(queue, QueuePositions)
    found: list[int | None] = []
    for key in keys:
        job = await queue.job(key)
        assert job is not None
        found.append(await queue.queue_position(job))
    return found


async def enqueue(queue: Queue, count: int, **kwargs: object) -> list[str]:
    keys = [new_task_id() for _ in range(count)]
    for key in keys:
        assert await queue.enqueue("add", key=key, a=1, b=1, timeout=30, **kwargs) is not None
    return keys


async def test_positions_follow_the_order_jobs_are_taken_in(queue: Queue) -> None:
    keys = await enqueue(queue, 4)
    assert await positions(queue, keys) == [1, 2, 3, 4]

    running = await start(queue, keys[0], "w1")
    assert await queue.queue_position(running) is None  # running: not in line
    assert await positions(queue, keys[1:]) == [1, 2, 3]

    await start(queue, keys[1], "w2")
    assert await positions(queue, keys[2:]) == [1, 2]


async def test_a_cancelled_job_leaves_the_line(queue: Queue) -> None:
    keys = await enqueue(queue, 3)
    middle = await queue.job(keys[1])
    assert middle is not None
    await queue.abort(middle, "cancelled")
    gone = await queue.job(keys[1])
    assert gone is not None
    assert gone.status == Status.ABORTED
    assert await queue.queue_position(gone) is None
    assert await positions(queue, [keys[0], keys[2]]) == [1, 2]


async def test_a_finished_or_unknown_job_has_no_position(queue: Queue) -> None:
    (key,) = await enqueue(queue, 1)
    job = await start(queue, key, "w1")
    await job.finish(Status.COMPLETE, result=2)
    done = await queue.job(key)
    assert done is not None
    assert await queue.queue_position(done) is None
    assert await queue.queue_position(Job("add", key=f"k-{uuid.uuid4().hex}", queue=queue)) is None


async def test_a_job_waiting_out_a_delay_is_behind_the_ready_ones(queue: Queue) -> None:
    later = new_task_id()
    await queue.enqueue("add", key=later, a=1, b=1, scheduled=int(time.time()) + 600)
    ready = await enqueue(queue, 2)
    assert await positions(queue, [*ready, later]) == [1, 2, 3]


async def test_priority_goes_first(queue: Queue, backend: str) -> None:
    if backend == "redis":
        pytest.skip("SAQ's Redis backend has no priorities (its queue is a FIFO list)")
    low = await enqueue(queue, 2, priority=5)
    high = await enqueue(queue, 1, priority=0)
    assert await positions(queue, [*high, *low]) == [1, 2, 3]
    taken = await queue.dequeue(timeout=3, poll_interval=0.05)
    assert taken is not None
    assert taken.key == high[0]  # what runs first is what the positions said


async def test_sqlite_count_is_an_index_range(queue: Queue, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's query plan")
    from faceswap.service.queue.store import AHEAD

    def plan(conn: sqlite3.Connection) -> list[str]:
        return [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + AHEAD, ("q", 0, 1.0, 1))]

    lines = await queue._run(plan)  # type: ignore[attr-defined]
    assert any("COVERING INDEX saq_jobs_ready_idx" in line for line in lines), lines


async def test_postgres_count_uses_the_dequeue_index(queue: Queue, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL's query plan")
    from psycopg.sql import SQL

    from faceswap.service.queue.postgres_queue import _POSITION

    keys = await enqueue(queue, 3)
    async with queue.pool.connection() as conn, conn.transaction():  # type: ignore[attr-defined]
        await conn.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned whole
        cursor = await conn.execute(
            SQL("EXPLAIN " + _POSITION).format(jobs_table=queue.jobs_table),  # type: ignore[attr-defined]
            {"key": keys[2], "queue": queue.name},
        )
        plan = "\n".join(row[0] for row in await cursor.fetchall())
    assert "saq_jobs_status_queue_priority_scheduled_idx" in plan, plan
