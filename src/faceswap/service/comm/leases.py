"""Task leases for remote workers, kept on the SAQ jobs themselves (API side).

The API claims a job on behalf of a remote worker exactly as a SAQ worker does (the queue's ``claim``,
then ``attempts + 1``, ``started`` now) and records the lease in ``job.meta["lease"]`` with a random id;
``worker_id`` is ``remote:<name>``. From then on the routes drive the attempt through the same lifecycle
events as a local worker (:mod:`faceswap.service.queue.lifecycle`), with the same rules
(:mod:`faceswap.service.tasks.attempt`):

- each heartbeat checks the lease and the attempt's standing and writes the progress (``progress``),
  which touches the job; the lease lasts ``service.heartbeat_s`` past the last touch, the job's own SAQ
  ``heartbeat``;
- a worker that stops heartbeating leaves the job untouched, so a sweep (the API's own, see
  :mod:`.upkeep`, or any worker's) finds it stuck and re-queues it (or fails it ``worker_lost``);
- a cancel marks the job ``cancelling``; the next heartbeat (or the upkeep loop) ends it (``stop``:
  CANCELLED) and answers ``cancelled: true``;
- complete and fail end the attempt (``complete``, ``fail`` or ``retry``: only transient errors are
  retried); an end that lands CANCELLED because a cancel came first is answered ``cancelled``.

A lease is held while the job is running with that lease id in its meta under the attempt it was leased
with; anything else answers ``lease_lost`` (409), or ``attempt_superseded`` (409, a kind of
``lease_lost``) when the job was re-queued or claimed again since: the worker must drop the task.

Result files of a lease go under its attempt's folder, ``results/<task_id>/<attempt>/``; they are images
or videos by their bytes (:mod:`.uploads`), and a completion may name only them (:mod:`.files`) and link
only to them (:mod:`.result_urls`). An upload that ends after its attempt lost the task is deleted and
refused, and when an attempt's lease ends (completed, failed, cancelled, or refused as lost) the files it
leaves behind are deleted (:func:`faceswap.service.attempt_files.tidy_attempt`).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from saq.job import Job, Status
from saq.utils import now

from faceswap.config import Settings
from faceswap.errors import (
    AttemptSupersededError,
    CancelledError,
    FaceswapError,
    LeaseLostError,
    NotFoundError,
)
from faceswap.service.attempt_files import tidy_attempt
from faceswap.service.comm.auth import WorkerTokens
from faceswap.service.comm.files import check_result_files
from faceswap.service.comm.messages import (
    COMM_PREFIX,
    HeartbeatAnswer,
    InputSource,
    LeasedTask,
    LeaseInfo,
)
from faceswap.service.comm.result_urls import check_result_urls
from faceswap.service.queue.attempts import attempt_name, attempt_of
from faceswap.service.queue.guard import state_of
from faceswap.service.queue.owned import LifecycleQueue
from faceswap.service.tasks.attempt import record_failure, standing
from faceswap.service.tasks.inputs import task_inputs
from faceswap.service.tasks.model import Task, TaskCreate
from faceswap.service.tasks.progress import DETAIL_META, ProgressDetail, stored_detail
from faceswap.service.tasks.records import is_task_job, task_from_job
from faceswap.service.tasks.refs import stored_key
from faceswap.storage.base import PutData, Storage, StoredObject
from faceswap.storage.keys import result_key

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


def lease_attempt(job: Job) -> str | None:
    """The attempt a job's lease record was leased with (None: no lease, or one from before attempts)."""
    lease = job.meta.get(LEASE_META)
    attempt = lease.get("attempt") if isinstance(lease, dict) else None
    return str(attempt) if attempt is not None else None


@dataclass
class Leases:
    """Leasing tasks to remote workers on ``queue``; results go to ``storage``."""

    queue: LifecycleQueue
    storage: Storage
    settings: Settings
    tokens: WorkerTokens

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
        job.meta[LEASE_META] = {"id": lease_id, "worker": worker, "attempt": attempt_name(job)}
        await self.queue.update(job, status=Status.ACTIVE)
        logger.info("task %s: leased to remote worker %s (attempt %d)", job.key, worker, job.attempts)
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
            attempt_id=attempt_name(job),
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
        """The job of a held lease whose attempt still holds it (:func:`~faceswap.service.tasks.attempt.
        standing`): not cancelled, swept, claimed again or finished. A lease refused as lost has what its
        attempt left behind deleted."""
        job = await self.held(task_id, lease_id)
        attempt = lease_attempt(job)
        now = standing(job, attempt)
        if now in ("cancelling", "cancelled"):
            await self.end_cancelled(job)
            raise CancelledError(f"task {task_id} was cancelled")
        if now == "lost":
            await self._tidy(job, attempt)
            if attempt != attempt_name(job):  # swept and re-queued, or claimed again
                raise AttemptSupersededError(f"task {task_id} has been taken from this lease's attempt")
            raise LeaseLostError(f"task {task_id} is {job.status.value}; its lease has expired")
        return job

    async def end_cancelled(self, job: Job) -> None:
        """Ends a cancelled (``cancelling``) job's attempt: the task shows CANCELLED."""
        if job.status == Status.ABORTING:
            await self.queue.finish(job, Status.ABORTED, error=job.error)
            logger.info("task %s: cancelled; remote worker %s told", job.key, job.worker_id)
            await self._tidy(await self.queue.job(job.key), attempt_name(job))

    async def heartbeat(
        self, task_id: str, lease_id: str, progress: float, detail: ProgressDetail | None = None
    ) -> HeartbeatAnswer:
        """Extends the lease and records progress with its detail (when sent); ``cancelled`` tells the
        worker to stop."""
        try:
            job = await self.running(task_id, lease_id)
        except CancelledError:
            return HeartbeatAnswer(cancelled=True, status="CANCELLED")
        if detail is not None:
            job.meta[DETAIL_META] = stored_detail(detail, attempt_of(job))
        await self.queue.update(job, progress=max(float(job.progress or 0.0), progress))
        return HeartbeatAnswer(cancelled=False, status="PROCESSING", expires_at=self._expiry(job))

    async def input_ref(self, task_id: str, lease_id: str, index: int) -> str:
        job = await self.running(task_id, lease_id)
        refs = task_inputs(TaskCreate.model_validate((job.kwargs or {})["task"]))
        if not 0 <= index < len(refs):
            raise NotFoundError(f"task {task_id} has no input {index}")
        return refs[index]

    async def store_file(
        self, task_id: str, lease_id: str, name: str, data: PutData, content_type: str
    ) -> StoredObject:
        """Stores result file ``name`` of a held lease under its attempt's folder. If the attempt lost
        the task while the file was being stored, the file is deleted and ``attempt_superseded``
        raised (``cancelled`` if the task was cancelled meanwhile)."""
        job = await self.running(task_id, lease_id)
        attempt = attempt_name(job)
        key = result_key(task_id, name, attempt=attempt)
        metadata = {"task_id": task_id, "attempt": attempt}
        stored = await self.storage.put(key, data, content_type=content_type, metadata=metadata)
        try:
            await self.running(task_id, lease_id)
        except FaceswapError as lost:
            await self.storage.delete(key)
            logger.warning("task %s: %s uploaded after its attempt lost the task; deleted", task_id, key)
            if isinstance(lost, CancelledError):
                raise
            raise AttemptSupersededError(
                f"task {task_id} was taken from this attempt while {name!r} was uploading; the file "
                "was discarded"
            ) from lost
        return stored

    async def complete(self, task_id: str, lease_id: str, result: dict[str, Any]) -> Task:
        """Finishes the task COMPLETED with ``result``; every ``file_id`` in it must be a file this
        lease's attempt uploaded, and every ``*_url`` a link to one (:mod:`.result_urls`)."""
        job = await self.running(task_id, lease_id)
        await check_result_files(self.storage, result, task_id, attempt_name(job))
        await check_result_urls(self.storage, result, task_id, attempt_name(job))
        written = await self.queue.end(job, Status.COMPLETE, result=result)
        await self._settled(job, written, attempt_name(job))
        logger.info("task %s: completed by remote worker %s", task_id, job.worker_id)
        return task_from_job(job)

    async def fail(self, task_id: str, lease_id: str, code: str, message: str) -> Task:
        """Records ``{code, message}``; retries the task if the error is transient and attempts are left."""
        try:
            job = await self.running(task_id, lease_id)
        except CancelledError:
            return await self._task(task_id)
        record_failure(job, code, message)
        attempt = attempt_name(job)  # before a retry hands the job the next claim's id
        if job.retryable:
            await self.queue.retry(job, error=message)
            stored = await self.queue.job(task_id)
            written = stored if stored is not None and attempt_of(stored) == attempt_of(job) else None
        else:
            written = await self.queue.end(job, Status.FAILED, error=message)
        await self._settled(job, written, attempt)
        logger.warning("task %s: remote worker %s failed it: %s: %s", task_id, job.worker_id, code, message)
        return task_from_job(job)

    async def _settled(self, job: Job, written: Job | None, attempt: str) -> None:
        """Deletes what ``attempt`` leaves behind, then says why a refused end of it did not count:
        ``cancelled`` when a cancel came first (the task ends CANCELLED), ``attempt_superseded`` when it
        was swept or leased again between the lease check and the write. ``written`` is the job as
        stored by that end; the store is read again only when the end was refused."""
        stored = written if written is not None else await self.queue.job(job.key)
        await self._tidy(stored, attempt, job.key)
        if written is not None and state_of(written) == "cancelled":
            raise CancelledError(f"task {job.key} was cancelled; this result is dropped")
        if written is None:
            raise AttemptSupersededError(f"task {job.key} was swept or leased again; this result is dropped")

    async def _tidy(self, stored: Job | None, attempt: str | None, task_id: str | None = None) -> None:
        """Deletes what ``attempt`` left behind, judged by ``stored`` (see :func:`tidy_attempt`); a
        storage error is logged, never raised over the answer the worker is owed."""
        key = task_id or (stored.key if stored is not None else None)
        if attempt is None or key is None:
            return
        try:
            await tidy_attempt(self.storage, stored, key, attempt)
        except FaceswapError as error:
            logger.warning("task %s: files of attempt %s not deleted: %s", key, attempt, error)

    async def _task(self, task_id: str) -> Task:
        job = await self.queue.job(task_id)
        if job is None:
            raise NotFoundError(f"no task {task_id!r}")
        return task_from_job(job)
