"""``OwnedPostgresQueue``: SAQ's PostgreSQL queue with attempt-owned writes and a sweep that loses nothing.

SAQ's ``PostgresQueue`` writes a worker's whole copy of a job blindly (``UPDATE ... WHERE key``), and
its sweep aborts a stuck job, waits for it, then retries it from a list read at its start, so a late
but live attempt could still finish a job that a sweep had handed to another attempt. Here every
write of a job runs in one transaction that first locks the job's row (``SELECT ... FOR UPDATE``):

- ``dequeue`` claims each job in the transaction that marks it ``active`` (``FOR UPDATE SKIP
  LOCKED``, as SAQ does; jobs scheduled in the same second in the order they were added, where SAQ
  leaves that order open): the job gets a new attempt id and its attempt counted (:mod:`.attempts`);
- ``update``, ``finish`` and ``retry`` are applied only while the stored job is running under the
  writer's attempt id (a retry hands out a new one); any other write is dropped and logged; an
  ``active`` write keeps a stored ``aborting``;
- ``requeue`` puts a finished job back in the queue (a user's retry) only while it is still finished
  under the attempt the caller read;
- ``abort`` marks the STORED job: a queued job ends ``aborted`` at once, a running one becomes
  ``aborting``, a finished one is left alone;
- ``queue_position`` counts the queued jobs ahead of a waiting one (:mod:`.positions`);
- ``sweep`` re-reads each stuck running job and recovers it at once (:mod:`.sweep`), with no
  abort-and-wait step.

Same tables, columns and data format as SAQ's backend.
"""

from __future__ import annotations

import logging
import time
import typing as t
from collections.abc import Callable

from psycopg import AsyncConnection
from psycopg.sql import SQL
from saq.job import Job, Status
from saq.queue.postgres import DEQUEUE, ENQUEUE, PostgresQueue
from saq.utils import now, now_seconds

from faceswap.service.queue.attempts import (
    ATTEMPT_META,
    FINISHED,
    attempt_of,
    claimed,
    dropped,
    handed_out,
    keep_attempt,
    may_requeue,
    may_write,
    new_attempt_id,
)
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


class OwnedPostgresQueue(PostgresQueue):
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

    async def _owned_write(
        self, owner: str | None, key: str, write: Callable[[Conn, Job, Status], t.Awaitable[None]]
    ) -> bool:
        """Runs ``write(conn, stored job, stored status)`` in the transaction that locked the row, if the
        stored job is running under ``owner``; False (nothing written) otherwise."""
        async with self.pool.connection() as conn, conn.transaction():
            stored = await self._lock(conn, key)
            if stored is None or not may_write(stored[0], attempt_of(stored[1]), owner):
                return False
            await write(conn, stored[1], stored[0])
            return True

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
                self._job_queue.put_nowait(handed_out(job))
            if taken:
                await self._notify(DEQUEUE)

    # owned writes -----------------------------------------------------------------------------------

    async def update(self, job: Job, **kwargs: t.Any) -> None:
        await super().update(job, **keep_attempt(job, kwargs))

    async def _update(self, job: Job, status: Status | None = None, **kwargs: t.Any) -> None:
        expire_at = kwargs.pop("expire_at", KEEP)

        async def write(conn: Conn, stored: Job, stored_status: Status) -> None:
            job.status = status or stored_status
            if job.status == Status.ACTIVE and stored_status == Status.ABORTING:
                job.status, job.error = stored_status, stored.error  # a cancel or sweep came first
            await self._write(conn, job, expire_at)

        if not await self._owned_write(attempt_of(job), job.key, write):
            dropped(job, "an update")

    async def _retry(self, job: Job, error: str | None) -> None:
        owner = attempt_of(job)
        job.meta[ATTEMPT_META] = new_attempt_id()  # the next claim's; the old attempt is revoked
        delay = job.next_retry_delay()
        job.scheduled = int(time.time() + delay if delay else job.scheduled or now_seconds())
        job.status = Status.QUEUED

        async def write(conn: Conn, stored: Job, stored_status: Status) -> None:
            await self._write(conn, job, None)

        if await self._owned_write(owner, job.key, write):
            await self._notify(ENQUEUE)
        else:
            dropped(job, "a retry")

    async def _finish(
        self,
        job: Job,
        status: Status,
        *,
        result: t.Any = None,
        error: str | None = None,
        connection: Conn | None = None,
        owned: bool = True,
    ) -> None:
        """``owned=False``: the write of a job this queue has just ended itself (an aborted queued job)."""
        job.status = status

        async def write(conn: Conn, stored: Job, stored_status: Status) -> None:
            if job.ttl < 0:
                await conn.execute(
                    SQL("DELETE FROM {jobs_table} WHERE key = %(key)s AND queue = %(queue)s").format(
                        jobs_table=self.jobs_table
                    ),
                    {"key": job.key, "queue": self.name},
                )
            else:
                await self._write(conn, job, now_seconds() + job.ttl if job.ttl > 0 else None)

        if not owned:
            async with self.pool.connection() as conn, conn.transaction():
                if await self._lock(conn, job.key) is not None:
                    await write(conn, job, status)
        elif not await self._owned_write(attempt_of(job), job.key, write):
            dropped(job, f"finishing it {status.value}")

    async def requeue(self, job: Job, attempt: str | None) -> bool:
        """A finished job back in the queue (:class:`~faceswap.service.queue.attempts.Requeues`), in the
        transaction holding its row lock (SAQ's enqueue would need a later ``scheduled`` second)."""
        job.status = Status.QUEUED
        job.scheduled = job.scheduled or int(now_seconds())
        async with self.pool.connection() as conn, conn.transaction():
            stored = await self._lock(conn, job.key)
            if stored is None or not may_requeue(stored[0], attempt_of(stored[1]), attempt):
                return False
            await self._write(conn, job, None)
        await self._notify(ENQUEUE)
        return True

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

    # cancels ------------------------------------------------------------------------------------------

    async def abort(self, job: Job, error: str, ttl: float = 5) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            stored = await self._lock(conn, job.key)
            if stored is None or stored[0] in FINISHED:
                return
            status, current = stored
            if status not in (Status.NEW, Status.QUEUED):  # its worker (or, if gone, a sweep) ends it
                current.status, current.error = Status.ABORTING, error
                await self._write(conn, current)
                job.status, job.error = Status.ABORTING, error
                return
            # never claimed: no dequeue can take it from here on; it ends below
            current.status = Status.ABORTED
            await self._write(conn, current)
        job.replace(current)
        await self.finish(job, Status.ABORTED, error=error, owned=False)

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
