"""Task leases for remote workers, kept on the SAQ jobs themselves (API side).

The API dequeues a job on behalf of a remote worker exactly as a SAQ worker would (``attempts + 1``,
status ``active``, ``started``/``touched`` now) and records the lease in ``job.meta["lease"]`` with a
random id; ``worker_id`` is ``remote:<name>``. From then on the job is an ordinary running job:

- each heartbeat checks the lease id and writes the progress, which touches the job; the lease lasts
  ``service.heartbeat_s`` past the last touch, which is the job's own SAQ ``heartbeat``;
- a worker that stops heartbeating leaves the job untouched, so a sweep (the API's own, see
  :mod:`.upkeep`, or any worker's) finds it stuck and re-queues it (or fails it ``worker_lost``);
- a cancel marks the job ``aborting``; the next heartbeat (or the upkeep loop) finishes it ``aborted``
  (CANCELLED) and answers ``cancelled: true``;
- complete and fail finish the job the way SAQ's worker does; only transient errors are retried.

A lease is held while the job is running with that lease id in its meta; anything else answers
``lease_lost`` (409): the worker must drop the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from saq.job import Job, Status
from saq.queue.base import Queue
from saq.utils import now

from faceswap.config import Settings
from faceswap.errors import BadOptionError, CancelledError, LeaseLostError, NotFoundError
from faceswap.service.api.envelope import error_class
from faceswap.service.comm.auth import WorkerTokens
from faceswap.service.comm.messages import (
    COMM_PREFIX,
    HeartbeatAnswer,
    InputSource,
    LeasedTask,
    LeaseInfo,
)
from faceswap.service.queue.attempts import attempt_of
from faceswap.service.tasks.inputs import task_inputs
from faceswap.service.tasks.model import Task, TaskCreate
from faceswap.service.tasks.records import SWEPT_MESSAGE, is_task_job, task_from_job
from faceswap.service.webhooks import notify_in_background
from faceswap.service.worker.inputs import stored_key
from faceswap.storage.base import Storage
from faceswap.storage.keys import RESULTS_PREFIX

logger = logging.getLogger(__name__)

LEASE_META: Final = "lease"
REMOTE_PREFIX: Final = "remote:"
FETCH_SLICE_S = 1.0
"""A long poll dequeues in slices this long, checking in between that its client is still there."""
FETCH_POLL_S = 0.25
"""How often a waiting fetch looks at a SQLite queue; a task created through this API wakes it at once."""
MAX_FETCH_WAIT_S = 60.0


def is_remote(job: Job) -> bool:
    return str(job.worker_id or "").startswith(REMOTE_PREFIX)


def is_cancelled(job: Job) -> bool:
    """A cancel (not a sweep) has marked or ended the job."""
    return job.status in (Status.ABORTING, Status.ABORTED) and job.error != SWEPT_MESSAGE


@dataclass
class Leases:
    """Leasing tasks to remote workers on ``queue``; results go to ``storage``."""

    queue: Queue
    storage: Storage
    settings: Settings
    tokens: WorkerTokens
    background: set[asyncio.Task[bool]] = field(default_factory=set)

    @property
    def heartbeat_s(self) -> float:
        return float(self.settings.service.heartbeat_s)

    # leasing ------------------------------------------------------------------------------------

    async def fetch(
        self, worker: str, wait_s: float, gone: Callable[[], Awaitable[bool]]
    ) -> LeasedTask | None:
        """Leases the next task, waiting up to ``wait_s``; ``None`` when none came or the client left."""
        deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_FETCH_WAIT_S)
        while True:
            if await gone():
                return None
            left = deadline - time.monotonic()
            job = await self.queue.dequeue(
                timeout=max(0.01, min(FETCH_SLICE_S, left)), poll_interval=FETCH_POLL_S
            )
            if job is not None:
                return await self._start(job, worker)
            if deadline - time.monotonic() <= 0:
                return None

    async def _start(self, job: Job, worker: str) -> LeasedTask:
        if not is_task_job(job):  # not ours: nothing in this service enqueues such jobs
            await self.queue.finish(job, Status.FAILED, error="not a faceswap task")
            raise NotFoundError(f"job {job.key} is not a task")
        lease_id = secrets.token_hex(16)
        job.started = now()
        job.attempts += 1
        job.worker_id = f"{REMOTE_PREFIX}{worker}"
        job.meta.pop("error", None)
        job.meta[LEASE_META] = {"id": lease_id, "worker": worker}
        await self.queue.update(job, status=Status.ACTIVE)
        logger.info("task %s: leased to remote worker %s (attempt %d)", job.key, worker, job.attempts)
        self.notify(job)
        task = task_from_job(job)
        create = TaskCreate.model_validate((job.kwargs or {})["task"])
        inputs = [
            await self._input(job.key, index, ref)
            for index, ref in enumerate(task_inputs(create))
            if not ref.startswith("data:")  # inline in the task: the worker decodes it itself
        ]
        return LeasedTask(**task.model_dump(), lease=self._lease_info(job, lease_id), inputs=inputs)

    def _lease_info(self, job: Job, lease_id: str) -> LeaseInfo:
        service = self.settings.service
        return LeaseInfo(
            lease_id=lease_id,
            expires_at=self._expiry(job),
            heartbeat_s=self.heartbeat_s,
            heartbeat_every_s=max(0.1, min(service.abort_poll_s, self.heartbeat_s / 3)),
        )

    def _expiry(self, job: Job) -> datetime:
        return datetime.fromtimestamp(job.touched / 1000 + self.heartbeat_s, tz=UTC)

    async def _input(self, task_id: str, index: int, ref: str) -> InputSource:
        key = None
        with contextlib.suppress(NotFoundError):  # a missing upload: the download through the API says so
            key = await stored_key(self.storage, ref)
        direct = await self.storage.url(key) if key else None
        if direct:
            return InputSource(ref=ref, url=direct, direct=True)
        return InputSource(ref=ref, url=f"{COMM_PREFIX}/task/{task_id}/inputs/{index}", direct=False)

    # a held lease -----------------------------------------------------------------------------------

    async def held(self, task_id: str, lease_id: str) -> Job:
        """The task's job if ``lease_id`` is its lease; ``NotFoundError`` / ``LeaseLostError`` if not."""
        job = await self.queue.job(task_id) if task_id else None
        if job is None or not is_task_job(job):
            raise NotFoundError(f"no task {task_id!r}")
        lease = job.meta.get(LEASE_META)
        if not isinstance(lease, dict) or not secrets.compare_digest(str(lease.get("id", "")), lease_id):
            raise LeaseLostError(f"task {task_id} is not held by this lease")
        return job

    async def running(self, task_id: str, lease_id: str) -> Job:
        """The job of a held lease that is still running (not cancelled, swept or finished)."""
        job = await self.held(task_id, lease_id)
        if is_cancelled(job):
            await self.end_cancelled(job)
            raise CancelledError(f"task {task_id} was cancelled")
        if job.status != Status.ACTIVE:
            raise LeaseLostError(f"task {task_id} is {job.status.value}; its lease has expired")
        return job

    async def end_cancelled(self, job: Job) -> None:
        """Finishes a cancelled (``aborting``) job ``aborted``: the task shows CANCELLED."""
        if job.status == Status.ABORTING:
            await self.queue.finish(job, Status.ABORTED, error=job.error)
            logger.info("task %s: cancelled; remote worker %s told", job.key, job.worker_id)
            self.notify(job)

    async def heartbeat(self, task_id: str, lease_id: str, progress: float) -> HeartbeatAnswer:
        """Extends the lease and records progress; ``cancelled`` tells the worker to stop."""
        try:
            job = await self.running(task_id, lease_id)
        except CancelledError:
            return HeartbeatAnswer(cancelled=True, status="CANCELLED")
        await self.queue.update(job, progress=max(float(job.progress or 0.0), progress))
        return HeartbeatAnswer(cancelled=False, status="PROCESSING", expires_at=self._expiry(job))

    async def input_ref(self, task_id: str, lease_id: str, index: int) -> str:
        job = await self.running(task_id, lease_id)
        refs = task_inputs(TaskCreate.model_validate((job.kwargs or {})["task"]))
        if not 0 <= index < len(refs):
            raise NotFoundError(f"task {task_id} has no input {index}")
        return refs[index]

    async def complete(self, task_id: str, lease_id: str, result: dict[str, Any]) -> Task:
        job = await self.running(task_id, lease_id)
        key = result.get("file_id")
        if key is not None:
            if not str(key).startswith(f"{RESULTS_PREFIX}{task_id}/"):
                raise BadOptionError(f"a result's file_id must be under {RESULTS_PREFIX}{task_id}/")
            if not await self.storage.exists(str(key)):
                raise BadOptionError(f"result file {key!r} was not uploaded")
        await self.queue.finish(job, Status.COMPLETE, result=result)
        await self._check_written(job)
        logger.info("task %s: completed by remote worker %s", task_id, job.worker_id)
        self.notify(job)
        return task_from_job(job)

    async def fail(self, task_id: str, lease_id: str, code: str, message: str) -> Task:
        """Records ``{code, message}``; retries the task if the error is transient and attempts are left."""
        try:
            job = await self.running(task_id, lease_id)
        except CancelledError:
            return await self._task(task_id)
        job.meta["error"] = {"code": code, "message": message}
        transient = error_class(code).transient
        if not transient:
            job.retries = job.attempts
        if job.retryable:
            await self.queue.retry(job, error=message)
        else:
            await self.queue.finish(job, Status.FAILED, error=message)
        await self._check_written(job)
        logger.warning("task %s: remote worker %s failed it: %s: %s", task_id, job.worker_id, code, message)
        self.notify(job)
        return task_from_job(job)

    async def _check_written(self, job: Job) -> None:
        """``LeaseLostError`` unless the stored job took this lease's write: the queue drops writes of
        an attempt that lost the job between the lease check and the write (a sweep, a re-lease)."""
        stored = await self.queue.job(job.key)
        if stored is None or attempt_of(stored) != attempt_of(job) or stored.status != job.status:
            raise LeaseLostError(f"task {job.key} was swept or leased again; this result is dropped")

    async def _task(self, task_id: str) -> Task:
        job = await self.queue.job(task_id)
        if job is None:
            raise NotFoundError(f"no task {task_id!r}")
        return task_from_job(job)

    def notify(self, job: Job) -> None:
        """Sends the task's status to its webhook, if it has one (in the background)."""
        notify_in_background(self.settings, self.background, job)
