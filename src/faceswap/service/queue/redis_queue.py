"""``OwnedRedisQueue``: SAQ's Redis queue whose writes go through the task lifecycle.

This module is the one place that knows SAQ's Redis layout (the job keys, the queued and active
lists, the incomplete sorted set). Every write but a claim is one optimistic transaction (``WATCH``
on the job key, then ``MULTI``/``EXEC``; again from the read when another client changed it), driven by
:class:`~faceswap.service.queue.owned.LifecycleQueue`:

- ``dequeue`` claims the moved job in one transaction: only a ``queued`` job still on the active
  list becomes ``active`` with a new attempt id and its attempt counted (:mod:`.attempts`); anything
  else is dropped from the active list and the dequeue returns None;
- a job is placed by its new status: queued (on the queued list, or in the incomplete set until a
  retry delay runs out), running (where its claim put it), finished (off every list, kept ``ttl``);
- ``queue_position`` is a waiting job's index on the queued list (:mod:`.positions`);
- ``sweep`` recovers stuck running jobs found by status (a scan of the queue's job keys, so a job
  on no list is found too; see :mod:`.sweep`), and cleans the active list of missing and finished
  jobs and of ``queued`` ones left there by a dequeuer that died before its claim.
"""

from __future__ import annotations

import logging
import time
import typing as t
from collections.abc import Awaitable, Callable

from redis.exceptions import WatchError
from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.utils import now, seconds

from faceswap.service.queue.attempts import claimed, handed_out
from faceswap.service.queue.guard import FINISHED
from faceswap.service.queue.owned import Change, LifecycleQueue, Transition
from faceswap.service.queue.sweep import sweep_stuck

logger = logging.getLogger(__name__)

Pipe = t.Any
"""A ``redis.asyncio`` pipeline (its command methods are not typed for chaining)."""
Plan = Callable[[Pipe], object] | None
"""What a transaction queues after its checks (None: write nothing)."""
LEFT_QUEUED_S = 60.0
"""A ``queued`` job on the active list for longer than this (and its heartbeat) lost its dequeuer."""


class OwnedRedisQueue(LifecycleQueue, RedisQueue):
    """SAQ's ``RedisQueue`` with the changes in the module docstring; same keys and data format."""

    async def _transaction(
        self, keys: list[str], decide: Callable[[Job | None, Pipe], Awaitable[Plan]]
    ) -> bool:
        """Runs ``decide(stored job, pipe)`` under WATCH on ``keys`` (the job first), then its plan in
        MULTI/EXEC; again from the read if another client changed a watched key. False: no plan."""
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(*keys)
                    stored = self.deserialize(await pipe.get(keys[0]))
                    plan = await decide(stored, pipe)
                    if plan is None:
                        await pipe.reset()  # type: ignore[no-untyped-call]
                        return False
                    pipe.multi()  # type: ignore[no-untyped-call]
                    plan(pipe)
                    await pipe.execute()
                    return True
                except WatchError:
                    continue

    # claiming ------------------------------------------------------------------------------------

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        redis: t.Any = self.redis  # its blocking moves take float timeouts
        if await self.version() < (6, 2, 0):
            job_id = await redis.brpoplpush(self._queued, self._active, timeout)
        else:
            job_id = await redis.blmove(self._queued, self._active, timeout, "LEFT", "RIGHT")
        if job_id is None:
            return None
        return await self._claim(job_id.decode() if isinstance(job_id, bytes) else str(job_id))

    async def _claim(self, job_id: str) -> Job | None:
        taken: list[Job] = []

        async def decide(stored: Job | None, pipe: Pipe) -> Plan:
            on_list = await pipe.lpos(self._active, job_id) is not None
            if not on_list:
                return None  # a sweep put it back in the queue: another dequeue will claim it
            if stored is None or stored.status not in (Status.NEW, Status.QUEUED):
                # cancelled, already claimed (a duplicate entry) or gone: not ours to run
                return lambda p: p.lrem(self._active, 1, job_id)
            job = self.deserialize(claimed(stored.to_dict(), now()))
            assert job is not None
            taken.append(job)
            return lambda p: p.set(job_id, self.serialize(job))

        await self._transaction([job_id, self._active], decide)
        if not taken:
            return None
        await self.notify(taken[0])
        await self._announce(Transition("queued", "running", "claim", self.copy(taken[0])))
        return handed_out(taken[0])

    # the compare-and-set every write goes through ---------------------------------------------------

    async def _cas(self, key: str, change: Change, run_at: float | None) -> Job | None:
        """WATCH on the job, then its new form placed by status in MULTI/EXEC (see :mod:`.owned`)."""
        job_id = self.job_id(key)
        written: list[Job] = []

        async def decide(stored: Job | None, pipe: Pipe) -> Plan:
            new = change(stored)
            if new is None:
                return None
            written[:] = [new]
            return lambda p: self._place(p, new, run_at)

        if not await self._transaction([job_id], decide):
            return None
        await self.notify(written[0])
        return written[0]

    def _place(self, pipe: Pipe, job: Job, run_at: float | None) -> None:
        if job.status in (Status.ACTIVE, Status.ABORTING):
            pipe.set(job.id, self.serialize(job))
            return
        pipe.lrem(self._active, 0, job.id).lrem(self._queued, 0, job.id)
        if job.status in FINISHED:
            pipe.zrem(self._incomplete, job.id)
            if job.ttl > 0:
                pipe.set(job.id, self.serialize(job), ex=job.ttl)
            elif job.ttl == 0:
                pipe.set(job.id, self.serialize(job))
            else:
                pipe.delete(job.id)
            return
        if run_at is not None and run_at > time.time():  # held back: SAQ's schedule() lists it when due
            pipe.zadd(self._incomplete, {job.id: run_at})
        else:
            pipe.zadd(self._incomplete, {job.id: 0}).rpush(self._queued, job.id)
        pipe.set(job.id, self.serialize(job))  # a plain SET: a finished job's expiry goes

    # reads -------------------------------------------------------------------------------------------

    async def queue_position(self, job: Job) -> int | None:
        """The waiting ``job``'s place in line (:mod:`.positions`): its index on the queued list, which
        workers take from the head; a job off the list is waiting out a retry delay (behind every job on
        it) or is being claimed right now (next). ``job`` is the caller's fresh copy: its status is not
        read again."""
        if job.status not in (Status.NEW, Status.QUEUED):
            return None
        pipe: Pipe
        async with self.redis.pipeline(transaction=False) as pipe:
            if await self.version() >= (6, 0, 6):
                pipe.lpos(self._queued, job.id)
            else:
                pipe.lrange(self._queued, 0, -1)
            pipe.llen(self._queued).zscore(self._incomplete, job.id)
            found, length, score = await pipe.execute()
        if isinstance(found, list):
            ids = [raw.decode() if isinstance(raw, bytes) else str(raw) for raw in found]
            found = ids.index(job.id) if job.id in ids else None
        if found is not None:
            return int(found) + 1
        if score is None:
            return None  # no longer incomplete: it finished meanwhile
        return int(length) + 1 if score else 1

    # upkeep ------------------------------------------------------------------------------------------

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """Recovers stuck running jobs and cleans the active list (module docstring); one sweeper at a
        time holds ``saq:<name>:sweep`` for ``lock`` seconds."""
        if not await self.redis.set(self._sweep, 1, ex=max(1, int(lock)), nx=True):
            return []
        running = [job async for job in self.iter_jobs([Status.ACTIVE, Status.ABORTING])]
        swept = [self.job_id(key) for key in await sweep_stuck(self, running)]
        for raw in await self.redis.lrange(self._active, 0, -1):
            job_id = raw.decode() if isinstance(raw, bytes) else str(raw)
            if await self._clean_active(job_id):
                swept.append(job_id)
        return swept

    async def _clean_active(self, job_id: str) -> bool:
        async def decide(stored: Job | None, pipe: Pipe) -> Plan:
            if stored is None or stored.status in FINISHED:
                return lambda p: p.lrem(self._active, 0, job_id).zrem(self._incomplete, job_id)
            since = max(stored.touched, stored.queued)
            stale = seconds(now() - since) > max(LEFT_QUEUED_S, stored.heartbeat)
            if stored.status in (Status.NEW, Status.QUEUED) and stale:
                stored.touched = now()  # also fails a claim that raced this (it watches the job)
                return lambda p: (
                    p.lrem(self._active, 0, job_id)
                    .rpush(self._queued, job_id)
                    .set(job_id, self.serialize(stored))
                )
            return None

        done = await self._transaction([job_id], decide)
        if done:
            logger.info("Sweeping %s from the active list", job_id)
        return done
