"""``SqliteQueue``: SAQ's ``Queue`` on one SQLite file, the embedded default backend.

A jobs table whose ``status`` column is authoritative (as in SAQ's PostgreSQL backend); dequeue
claims the next ready job (lowest ``priority`` value, then earliest ``scheduled``) in a write
transaction; every other write of a job is one compare-and-set transaction (:func:`.store.swap_job`)
that :class:`~faceswap.service.queue.owned.LifecycleQueue` drives through the task lifecycle; the
base class' polling ``listen`` serves ``Job.refresh(until_complete)`` and ``apply``.

Why stdlib ``sqlite3`` on a dedicated thread rather than ``aiosqlite``: every queue operation is
ONE synchronous function (see :mod:`.store`) run on the queue's single database thread, so a
``BEGIN IMMEDIATE`` ... ``COMMIT`` can never be interleaved with another coroutine's statements
on the shared connection, and cancelling the awaiting coroutine either leaves the operation
unstarted or lets it finish whole. With aiosqlite each statement is its own await, and every
transaction would need an asyncio lock around it to get the same guarantee.

Across processes, ``BEGIN IMMEDIATE`` takes the file's write lock before the ready job is read,
so two workers never claim the same job; WAL mode lets readers (status polls) proceed meanwhile.

Where it differs from SAQ's PostgreSQL backend:

- Keys are unique per queue name (the Postgres table's key is global).
- Re-enqueueing a finished key replaces it at once (Redis' rule; Postgres also requires a later
  ``scheduled`` second).
- The ``scheduled`` column keeps sub-second precision, so retry delays below one second work.
- Waiting dequeues poll (``poll_interval``) and are woken early by enqueues in the same process.
- ``queue_position`` tells a queued job's place in line (:mod:`.positions`).
- The sweep recovers a stuck job at once (:mod:`.sweep`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import typing as t
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from saq.job import Job, Status
from saq.utils import now, uuid1

from faceswap.errors import BadOptionError, QueueUnavailableError
from faceswap.service.queue import store
from faceswap.service.queue.attempts import claimed, handed_out
from faceswap.service.queue.owned import Change, LifecycleQueue, Transition
from faceswap.service.queue.schema import open_db
from faceswap.service.queue.sweep import sweep_stuck

if t.TYPE_CHECKING:
    import sqlite3

    from saq.types import CountKind, DumpType, LoadType, QueueInfo, WorkerInfo

logger = logging.getLogger(__name__)

P = t.ParamSpec("P")
R = t.TypeVar("R")


class SqliteQueue(LifecycleQueue):
    """SAQ queue on the SQLite file ``path``.

    Args:
        path: the database file (created with its directory).
        name: queue name; several queues may share one file.
        poll_interval: seconds between looks for a ready job while a dequeue waits.
        priorities: the range of ``Job.priority`` values this queue instance dequeues.
    """

    @classmethod
    def from_url(cls, url: str, **kwargs: t.Any) -> SqliteQueue:
        """``sqlite:///relative.sqlite3`` (from the current directory) or ``sqlite:////abs/file``."""
        from faceswap.service.queue.open import sqlite_path_from_url

        return cls(sqlite_path_from_url(url, Path.cwd()), **kwargs)

    def __init__(
        self,
        path: Path,
        name: str = "default",
        dump: DumpType | None = None,
        load: LoadType | None = None,
        poll_interval: float = 0.25,
        priorities: tuple[int, int] = (0, 32767),
        swept_error_message: str | None = None,
    ) -> None:
        super().__init__(name=name, dump=dump, load=load, swept_error_message=swept_error_message)
        self.path = Path(path)
        self.poll_interval = poll_interval
        self._priorities = priorities
        self._owner = uuid1()
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._wakeup: asyncio.Event | None = None
        self._claim_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}<path={str(self.path)!r}, name={self.name!r}>"

    # connection -------------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._conn is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faceswap-sqlite-queue")
        try:
            self._conn = await asyncio.wrap_future(executor.submit(open_db, self.path))
        except BaseException:
            executor.shutdown(wait=False)
            raise
        self._executor = executor
        self._wakeup = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        await super().connect()

    async def disconnect(self) -> None:
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            return
        self._conn = self._executor = None
        try:
            await asyncio.wrap_future(executor.submit(conn.close))
        finally:
            executor.shutdown(wait=True)

    def _submit(
        self, fn: Callable[t.Concatenate[sqlite3.Connection, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> Future[R]:
        if self._conn is None or self._executor is None:
            raise QueueUnavailableError(f"queue {self.name!r} ({self.path}) is not connected")
        return self._executor.submit(fn, self._conn, *args, **kwargs)

    async def _run(
        self, fn: Callable[t.Concatenate[sqlite3.Connection, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        return await asyncio.wrap_future(self._submit(fn, *args, **kwargs))

    def _job(self, blob: store.Blob, status: str) -> Job:
        job = self.deserialize(blob, status)
        assert job is not None
        return job

    # enqueue / dequeue ---------------------------------------------------------------------------

    async def _enqueue(self, job: Job) -> Job | None:
        scheduled = float(job.scheduled) if job.scheduled else time.time()
        added = await self._run(
            store.insert_job, self.name, job.key, self.serialize(job), job.priority, job.group_key, scheduled
        )
        if not added:
            return None
        if self._wakeup is not None:
            self._wakeup.set()
        logger.info("Enqueuing %s", job.info(logger.isEnabledFor(logging.DEBUG)))
        return job

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        """The next ready job, claimed; waits up to ``timeout`` seconds (0: until disconnected)."""
        interval = poll_interval if poll_interval > 0 else self.poll_interval
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout > 0 else None
        while self._conn is not None and self._wakeup is not None and self._claim_lock is not None:
            async with self._claim_lock:
                job = await self._claim()
            if job is not None:
                return job
            wait = interval if deadline is None else min(interval, deadline - loop.time())
            if wait <= 0:
                return None
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), wait)
                wakeup.clear()
            except TimeoutError:
                pass
        return None

    async def _claim(self) -> Job | None:
        def stamp(blob: store.Blob) -> store.Blob:
            return self._dump(claimed(self._load(blob), now()))

        future = self._submit(store.claim_next, self.name, self._owner, time.time(), self._priorities, stamp)
        try:
            taken = await asyncio.shield(asyncio.wrap_future(future))
        except asyncio.CancelledError:
            future.add_done_callback(self._release_orphan)
            raise
        if taken is None:
            return None
        job = self._job(taken[1], Status.ACTIVE.value)
        await self._announce(Transition("queued", "running", "claim", self.copy(job)))
        return handed_out(job)

    def _release_orphan(self, future: Future[tuple[str, store.Blob] | None]) -> None:
        """A dequeue was cancelled while its claim ran: put the claimed job back."""
        if future.cancelled() or future.exception() is not None or (claimed := future.result()) is None:
            return
        try:
            self._submit(store.release_claim, self.name, claimed[0], self._owner)
        except (QueueUnavailableError, RuntimeError):
            logger.warning("job %s was claimed by a cancelled dequeue; the sweep will recover it", claimed[0])

    # the compare-and-set every write goes through ---------------------------------------------------

    async def _cas(self, key: str, change: Change, run_at: float | None) -> Job | None:
        """One transaction on the database thread (:func:`.store.swap_job`); see :mod:`.owned`."""
        written: list[Job] = []

        def store_change(status: str, blob: store.Blob) -> store.Stored | None:
            new = change(self._job(blob, status))
            if new is None:
                return None
            written[:] = [new]
            return self.serialize(new), new.status.value, new.ttl

        if not await self._run(store.swap_job, self.name, key, store_change, run_at, time.time()):
            return None
        if written[0].status == Status.QUEUED and self._wakeup is not None:
            self._wakeup.set()
        return written[0]

    # reads ----------------------------------------------------------------------------------------

    async def job(self, job_key: str) -> Job | None:
        found = await self._run(store.get_jobs, self.name, [job_key])
        return self._job(*found[job_key]) if job_key in found else None

    async def jobs(self, job_keys: Iterable[str]) -> list[Job | None]:
        keys = list(job_keys)
        found = await self._run(store.get_jobs, self.name, keys)
        return [self._job(*found[key]) if key in found else None for key in keys]

    async def queue_position(self, job: Job) -> int | None:
        """The job's place in line (:mod:`.positions`): a count over the ready index."""
        return await self._run(store.queue_position, self.name, job.key)

    async def iter_jobs(
        self, statuses: list[Status] | None = None, batch_size: int = 100
    ) -> AsyncIterator[Job]:
        wanted = [s.value for s in (statuses if statuses is not None else list(Status))]
        last = ""
        while rows := await self._run(store.list_jobs, self.name, wanted, last, batch_size):
            for key, blob, status in rows:
                last = key
                yield self._job(blob, status)

    async def count(self, kind: CountKind) -> int:
        if kind not in ("queued", "active", "incomplete"):
            raise BadOptionError(f"cannot count jobs of kind {kind!r}")
        return await self._run(store.count_jobs, self.name, kind, time.time())

    async def info(self, jobs: bool = False, offset: int = 0, limit: int = 10) -> QueueInfo:
        rows = await self._run(store.live_workers, self.name, time.time())
        workers: dict[str, WorkerInfo] = {
            worker_id: {"stats": json.loads(stats), "metadata": json.loads(metadata), "queue_key": self.name}
            for worker_id, stats, metadata in rows
        }
        queued, active, incomplete = [await self.count(kind) for kind in ("queued", "active", "incomplete")]
        listed = []
        if jobs:
            listed = await self._run(
                store.list_jobs, self.name, [*store.INCOMPLETE, "aborting"], "", limit, offset
            )
        return {
            "workers": workers,
            "name": self.name,
            "queued": queued,
            "active": active,
            "scheduled": incomplete - queued - active,
            "jobs": [self._job(blob, status).to_dict() for _, blob, status in listed],
        }

    async def write_worker_info(self, worker_id: str, info: WorkerInfo, ttl: int) -> None:
        await self._run(
            store.write_stats,
            worker_id,
            info["queue_key"] or self.name,
            json.dumps(info["stats"]),
            json.dumps(info["metadata"]),
            time.time() + ttl,
        )

    # upkeep -----------------------------------------------------------------------------------------

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """Deletes expired jobs and stats; recovers stuck running jobs at once (see .sweep).

        One queue instance at a time sweeps a queue: it holds the lease ``sweep:<name>`` for
        ``lock`` seconds (renewed by each of its sweeps).
        """
        if not await self._run(store.take_lease, f"sweep:{self.name}", self._owner, lock, time.time()):
            return []
        await self._run(store.expire, self.name, time.time())
        rows = await self._run(store.list_jobs, self.name, store.RUNNING)
        return await sweep_stuck(self, [self._job(blob, status) for _, blob, status in rows], abort)
