"""``OwnedPostgresQueue``: SAQ's PostgreSQL queue whose writes go through the task lifecycle.

This module is the one place that knows SAQ's PostgreSQL tables and its dequeue internals. Every
write but a claim is one transaction that first locks the job's row (``SELECT ... FOR UPDATE``),
driven by :class:`~faceswap.service.queue.owned.LifecycleQueue`:

- ``dequeue`` claims each job in the transaction that marks it ``active`` (``FOR UPDATE SKIP
  LOCKED``, as SAQ does; jobs scheduled in the same second in the order they were added, where SAQ
  leaves that order open): the job gets a new attempt id and its attempt counted (:mod:`.attempts`);
- a job is placed by its new status: queued (``scheduled`` at the retry delay's end, no expiry),
  running (as it is), finished (expiring after ``ttl``, or deleted for a negative one);
- ``queue_position`` counts the queued jobs ahead of a waiting one (:mod:`.positions`);
- ``sweep`` re-reads each stuck running job and recovers it at once (:mod:`.sweep`).

Same tables, columns and data format as SAQ's backend.
"""

from __future__ import annotations

import logging
import typing as t

from psycopg import AsyncConnection
from psycopg.sql import SQL
from saq.job import Job, Status
from saq.queue.postgres import DEQUEUE, ENQUEUE, PostgresQueue
from saq.utils import now, now_seconds

from faceswap.service.queue.attempts import claimed, handed_out
from faceswap.service.queue.guard import FINISHED
from faceswap.service.queue.owned import Change, LifecycleQueue, Transition
from faceswap.service.queue.sweep import sweep_stuck

logger = logging.getLogger(__name__)

Conn = AsyncConnection[t.Any]
Stored = tuple[Status, Job] | None
"""A job's row as a write transaction read it (status column, job), None when it is gone."""
KEEP: t.Final = object()
"""``expire_at`` left as it is."""

_CLAIM = """
WITH locked_job AS (
  SELECT key FROM {jobs_table}
  WHERE status = 'queued' AND queue = %(queue)s AND %(now)s >= scheduled
    AND priority BETWEEN %(plow)s AND %(phigh)s
    AND group_key NOT IN (
      SELECT DISTINCT group_key FROM {jobs_table}
      WHERE status = 'active' AND queue = %(queue)s AND group_key IS NOT NULL
    )
  ORDER BY priority, scheduled, lock_key
  LIMIT %(limit)s
  FOR UPDATE SKIP LOCKED
)
UPDATE {jobs_table} SET status = 'active'
FROM locked_job
WHERE {jobs_table}.key = locked_job.key
RETURNING {jobs_table}.key, {jobs_table}.job
"""

_POSITION = """
SELECT (
  SELECT count(*) FROM {jobs_table} AS ahead
  WHERE ahead.status = 'queued' AND ahead.queue = job.queue
    AND (ahead.priority, ahead.scheduled) <= (job.priority, job.scheduled)
    AND (ahead.priority, ahead.scheduled, ahead.lock_key) < (job.priority, job.scheduled, job.lock_key)
)
FROM {jobs_table} AS job
WHERE job.key = %(key)s AND job.queue = %(queue)s AND job.status IN ('new', 'queued')
"""


class OwnedPostgresQueue(LifecycleQueue, PostgresQueue):
    """SAQ's ``PostgresQueue`` with the changes in the module docstring."""

    # row access inside a transaction ------------------------------------------------------------------

    async def _lock(self, conn: Conn, key: str) -> Stored:
        """The job's row, locked until the transaction ends."""
        cursor = await conn.execute(
            SQL(
                "SELECT status, job FROM {jobs_table} WHERE key = %(key)s AND queue = %(queue)s FOR UPDATE"
            ).format(jobs_table=self.jobs_table),
            {"key": key, "queue": self.name},
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        status = Status(row[0])
        job = self.deserialize(row[1], status)
        return None if job is None else (status, job)

    async def _write(self, conn: Conn, job: Job, expire_at: object = KEEP) -> None:
        sets = "job = %(job)s, status = %(status)s, scheduled = %(scheduled)s"
        if expire_at is not KEEP:
            sets += ", expire_at = %(expire_at)s"
        await conn.execute(
            SQL("UPDATE {jobs_table} SET " + sets + " WHERE key = %(key)s AND queue = %(queue)s").format(
                jobs_table=self.jobs_table
            ),
            {
                "job": self.serialize(job),
                "status": job.status,
                "scheduled": job.scheduled,
                "expire_at": expire_at,
                "key": job.key,
                "queue": self.name,
            },
        )

    async def _cas(self, key: str, change: Change, run_at: float | None) -> Job | None:
        """The job's row locked, its new form placed by status, in one transaction (see :mod:`.owned`)."""
        async with self.pool.connection() as conn, conn.transaction():
            stored = await self._lock(conn, key)
            job = change(stored[1] if stored is not None else None)
            if job is None:
                return None
            if job.status in FINISHED and job.ttl < 0:
                await conn.execute(
                    SQL("DELETE FROM {jobs_table} WHERE key = %(key)s AND queue = %(queue)s").format(
                        jobs_table=self.jobs_table
                    ),
                    {"key": key, "queue": self.name},
                )
            elif job.status in FINISHED:
                await self._write(conn, job, now_seconds() + job.ttl if job.ttl > 0 else None)
            elif job.status == Status.QUEUED:
                job.scheduled = int(run_at) if run_at is not None else (job.scheduled or int(now_seconds()))
                await self._write(conn, job, None)
            else:
                await self._write(conn, job)
        if job.status == Status.QUEUED:
            await self._notify(ENQUEUE)
        return job

    # claiming ---------------------------------------------------------------------------------------

    async def _dequeue(self) -> None:
        if self._dequeue_lock.locked():
            return
        async with self._dequeue_lock:
            taken: list[Job] = []
            async with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                if not self._waiting:
                    return
                await cursor.execute(
                    SQL(_CLAIM).format(jobs_table=self.jobs_table),
                    {
                        "queue": self.name,
                        "now": now_seconds(),
                        "limit": self._waiting,
                        "plow": self._priorities[0],
                        "phigh": self._priorities[1],
                    },
                )
                for _key, blob in await cursor.fetchall():
                    job = self.deserialize(claimed(self._load(blob), now()))
                    assert job is not None
                    await self._write(conn, job)  # same transaction: claimed with its attempt id
                    taken.append(job)
            for job in taken:
                await self._announce(Transition("queued", "running", "claim", self.copy(job)))
                self._job_queue.put_nowait(handed_out(job))
            if taken:
                await self._notify(DEQUEUE)

    # reads ---------------------------------------------------------------------------------------------

    async def queue_position(self, job: Job) -> int | None:
        """The job's place in line (:mod:`.positions`): 1 + the queued jobs ahead of it in claim order
        (priority, scheduled second, insertion order), counted over SAQ's ``(status, queue, priority,
        scheduled)`` index."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                SQL(_POSITION).format(jobs_table=self.jobs_table), {"key": job.key, "queue": self.name}
            )
            row = await cursor.fetchone()
        return None if row is None else int(row[0]) + 1

    # upkeep -----------------------------------------------------------------------------------------

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """Deletes expired jobs and stats, then recovers stuck running jobs (:mod:`.sweep`); one queue
        instance holds the sweep advisory lock for this queue name, as in SAQ."""
        if not self._has_sweep_lock:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(
                    SQL("SELECT pg_try_advisory_lock(%(key1)s, hashtext(%(queue)s))"),
                    {"key1": self.saq_lock_keyspace, "queue": self.name},
                )
                row = await cursor.fetchone()
            if row is None or not row[0]:
                return []
            self._has_sweep_lock = True
        params = {"queue": self.name, "now": now_seconds()}
        async with self.pool.connection() as conn:
            await conn.execute(
                SQL(
                    "DELETE FROM {jobs_table} WHERE queue = %(queue)s"
                    " AND status IN ('aborted', 'complete', 'failed') AND %(now)s >= expire_at"
                ).format(jobs_table=self.jobs_table),
                params,
            )
            await conn.execute(
                SQL("DELETE FROM {stats_table} WHERE %(now)s >= expire_at").format(
                    stats_table=self.stats_table
                ),
                params,
            )
        running = [job async for job in self.iter_jobs([Status.ACTIVE, Status.ABORTING])]
        return await sweep_stuck(self, running)
