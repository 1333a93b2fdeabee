"""``TaskClient``: submit, read, list, cancel, retry and wait for tasks on a connected SAQ queue (API side)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

from saq.job import Job, Status

from faceswap.choices import TaskStatus
from faceswap.config import ServiceSettings
from faceswap.errors import (
    BadOptionError,
    ConflictError,
    NotFoundError,
    TaskNotRetryableError,
    TaskTimeoutError,
)
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.queue.attempts import attempt_of
from faceswap.service.queue.owned import LifecycleQueue
from faceswap.service.queue.positions import QueuePositions
from faceswap.service.tasks.model import Task, TaskCreate, TaskPage, is_terminal
from faceswap.service.tasks.preview import PREVIEW_TTL_S
from faceswap.service.tasks.records import (
    CANCEL_MESSAGE,
    PREVIEW_META,
    RETRYABLE,
    TASK_FUNCTION,
    is_preview_job,
    is_task_job,
    job_document,
    new_task_id,
    retried,
    task_from_job,
    task_status,
)

logger = logging.getLogger(__name__)

MAX_PAGE = 200
WATCHED: Final = frozenset(
    {"status", "progress", "stage", "frames_done", "frames_total", "fps", "eta_s", "queue_position"}
)
"""The fields whose change :meth:`TaskClient.changes` reports."""
TIMEOUT_MARGIN_S = 60


def idempotent_task_id(key: str, owner: str | None = None) -> str:
    """The task id an ``Idempotency-Key`` stands for: the same key (of the same owner) names the same task."""
    if not 1 <= len(key) <= 255:
        raise BadOptionError("Idempotency-Key must be 1 to 255 characters")
    scoped = key if owner is None else f"{owner}\x00{key}"
    return "idem-" + hashlib.sha256(scoped.encode()).hexdigest()[:40]


def fingerprint(create: TaskCreate) -> str:
    body = json.dumps(create.model_dump(mode="json", exclude_none=True), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class TaskClient:
    """Tasks on ``queue`` (connected by the caller) with the service settings' timeouts and retries.

    With an ``owner`` (an API key's id) the client records it on the tasks it submits and sees only
    that owner's tasks: any other task is "not found"; without one it sees every task.
    """

    def __init__(
        self,
        queue: LifecycleQueue,
        settings: ServiceSettings,
        owner: str | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.queue = queue
        self.settings = settings
        self.owner = owner
        self.metrics = metrics
        """Where created tasks are counted (None: nowhere)."""

    def for_owner(self, owner: str | None) -> TaskClient:
        """This client scoped to ``owner``'s tasks."""
        return TaskClient(self.queue, self.settings, owner, self.metrics)

    def owns(self, job: Job) -> bool:
        return self.owner is None or (isinstance(job.meta, dict) and job.meta.get("owner") == self.owner)

    async def submit(
        self, create: TaskCreate, *, idempotency_key: str | None = None, preview: bool = False
    ) -> Task:
        """Enqueues a task; with ``idempotency_key`` a repeat returns the first task (409 if the body differs).

        ``preview``: a hidden short task (``POST /api/preview``): left out of :meth:`list`, one attempt,
        a time limit of ``preview_timeout_s`` plus a margin, and deleted :data:`PREVIEW_TTL_S` after it ends.
        """
        digest = fingerprint(create)
        task_id = idempotent_task_id(idempotency_key, self.owner) if idempotency_key else new_task_id()
        if idempotency_key and (existing := await self._existing(task_id, digest)) is not None:
            return existing
        service = self.settings
        if preview:
            timeout = math.ceil(service.preview_timeout_s) + TIMEOUT_MARGIN_S
            retries, ttl = 1, PREVIEW_TTL_S
        else:
            # the worker enforces the per-type limit; this is the backstop for a worker that hangs
            timeout = service.video_timeout_s + TIMEOUT_MARGIN_S
            retries, ttl = service.retries, int(service.task_ttl_hours * 3600)
        job = Job(
            function=TASK_FUNCTION,
            kwargs=job_document(create),
            key=task_id,
            timeout=timeout,
            heartbeat=service.heartbeat_s,
            retries=retries,
            retry_delay=service.retry_delay_s,
            retry_backoff=True,
            ttl=ttl,
            meta={
                "fingerprint": digest,
                "created_ms": int(time.time() * 1000),
                **({"owner": self.owner} if self.owner else {}),
                **({PREVIEW_META: True} if preview else {}),
            },
        )
        enqueued = await self.queue.enqueue(job)
        if enqueued is None:  # a concurrent request with the same key won the race
            found = await self._existing(task_id, digest) if idempotency_key else None
            if found is None:
                raise ConflictError(f"task {task_id} already exists")
            return found
        logger.info("task %s: created (%s)", task_id, create.workflow)
        if self.metrics is not None:
            self.metrics.tasks_created.labels(create.workflow).inc()
        return await self.view(enqueued)

    async def _existing(self, task_id: str, digest: str) -> Task | None:
        job = await self.queue.job(task_id)
        if job is None or not is_task_job(job) or not self.owns(job):
            return None
        if job.meta.get("fingerprint") != digest:
            raise ConflictError("this Idempotency-Key was used for a different request")
        return await self.view(job)

    async def job(self, task_id: str) -> Job:
        job = await self.queue.job(task_id) if task_id else None
        if job is None or not is_task_job(job) or not self.owns(job):
            raise NotFoundError(f"no task {task_id!r}")
        return job

    async def get(self, task_id: str) -> Task:
        return await self.view(await self.job(task_id))

    async def view(self, job: Job) -> Task:
        """The task of ``job``, with its place in line when it is PENDING (one cheap query of the queue,
        :mod:`faceswap.service.queue.positions`; None on a queue that cannot tell)."""
        if task_status(job) != "PENDING" or not isinstance(self.queue, QueuePositions):
            return task_from_job(job)
        return task_from_job(job, await self.queue.queue_position(job))

    async def cancel(self, task_id: str) -> Task:
        """Cancels a pending task (it ends CANCELLED at once) or asks its worker to stop (it ends CANCELLED
        whatever the attempt does next: :mod:`faceswap.service.queue.lifecycle`); 409 once finished,
        also when it finished between the read and the cancel."""
        job = await self.job(task_id)
        task = task_from_job(job)
        if is_terminal(task.status):
            raise ConflictError(f"task {task_id} is already {task.status}; nothing to cancel")
        cancelled = await self.queue.cancel(task_id, CANCEL_MESSAGE)
        if cancelled is None:
            now = await self.get(task_id)
            raise ConflictError(f"task {task_id} is already {now.status}; nothing to cancel")
        logger.info("task %s: cancel requested (was %s)", task_id, task.status)
        return task_from_job(cancelled)

    async def retry(
        self, task_id: str, *, check: Callable[[TaskCreate], Awaitable[None]] | None = None
    ) -> Task:
        """Puts a FAILED or CANCELLED task back to PENDING under the same id, with its inputs as stored and
        a new attempt (:func:`~faceswap.service.tasks.records.retried`); 409 ``task_not_retryable`` for
        any other status, or when another request changed the task first. ``check(task)`` runs once the
        status allows the retry and before anything changes (the API checks the inputs are still stored)."""
        job = await self.job(task_id)
        task = task_from_job(job)
        if is_preview_job(job):
            raise TaskNotRetryableError(f"task {task_id} is a preview; ask for the preview again")
        if task.status not in RETRYABLE:
            raise TaskNotRetryableError(
                f"task {task_id} is {task.status}; only FAILED or CANCELLED tasks can be retried"
            )
        if check is not None:
            await check(TaskCreate.model_validate((job.kwargs or {})["task"]))
        if not await self.queue.requeue(retried(job, self.settings.retries), attempt_of(job)):
            raise TaskNotRetryableError(f"task {task_id} changed meanwhile (another retry?); look again")
        logger.info("task %s: retried by the client (was %s)", task_id, task.status)
        return await self.get(task_id)

    async def list(self, status: TaskStatus | None = None, *, offset: int = 0, limit: int = 50) -> TaskPage:
        """A page of tasks, newest first, optionally only those in ``status`` (see :mod:`.records`);
        previews are not listed."""
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise BadOptionError(f"offset must be >= 0 and limit in 1..{MAX_PAGE}")
        found = [
            (task_from_job(job), job)
            async for job in self.queue.iter_jobs(list(Status))
            if is_task_job(job) and self.owns(job) and not is_preview_job(job)
        ]
        if status is not None:
            found = [(t, job) for t, job in found if t.status == status]
        found.sort(key=lambda pair: (pair[0].created_at, pair[0].task_id), reverse=True)
        page = [
            await self.view(job) if t.status == "PENDING" else t for t, job in found[offset : offset + limit]
        ]
        return TaskPage(tasks=page, total=len(found), offset=offset, limit=limit)

    async def wait(self, task_id: str, timeout: float, poll: float = 0.1) -> Task:
        """The task once it has finished; ``TaskTimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            task = await self.get(task_id)
            if is_terminal(task.status):
                return task
            if time.monotonic() >= deadline:
                raise TaskTimeoutError(
                    f"task {task_id} did not finish within {timeout:g} s; it goes on running"
                )
            await asyncio.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    async def changes(self, task_id: str, poll: float = 0.25) -> AsyncIterator[Task]:
        """Yields the task each time its status, progress, progress detail or place in line changes,
        until it finishes."""
        last: dict[str, Any] | None = None
        while True:
            task = await self.get(task_id)
            seen = task.model_dump(include=set(WATCHED))
            if seen != last:
                last = seen
                yield task
            if is_terminal(task.status):
                return
            await asyncio.sleep(poll)
