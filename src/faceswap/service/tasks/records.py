"""Task records live on the SAQ jobs: one job per task, the job key is the task id.

Decision: the queue is the single source of truth. The task document (``TaskCreate``) is the job's
``kwargs["task"]``; ``meta`` holds the webhook, the idempotency fingerprint, the ``{code, message}``
error and a running attempt's progress detail; ``progress`` and ``result`` are the job's own; the
status is mapped from SAQ's job status. A PENDING task's place in line is asked of the queue when the
task is read, never stored. So there is no second store to keep consistent with the queue, every backend (SQLite, Redis, Postgres)
works the same, and a worker's crash or a sweep changes what the API shows at once.

Listing (``GET /api/tasks``) uses ``Queue.iter_jobs``, which all three backends implement, filters
our jobs by status and sorts them by creation time, newest first, before slicing a page. That is a
scan of the queue's jobs; finished jobs expire after ``service.task_ttl_hours`` (the job ``ttl``),
which bounds it. It suits one instance's thousands of tasks; a deployment listing millions would need
a dedicated index table, which this design keeps room for (one function below).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any, Final

from saq.job import Job, Status
from saq.utils import now

from faceswap.choices import TaskStatus
from faceswap.service.queue.attempts import ATTEMPT_META, attempt_of, new_attempt_id
from faceswap.service.queue.guard import SWEPT_MESSAGE, state_of
from faceswap.service.tasks.model import PUBLIC_STATUS, Task, TaskCreate, TaskError
from faceswap.service.tasks.progress import DETAIL_META, ProgressDetail, read_detail

TASK_FUNCTION: Final = "faceswap_task"
"""The SAQ function name every task job runs (the worker dispatches on the task's workflow)."""
CANCEL_MESSAGE: Final = "cancelled: cancelled by the client"
RETRIES_META: Final = "retries"
"""How many times a client retried the task (``POST /api/tasks/{id}/retry``)."""
PREVIEW_META: Final = "preview"
"""Set on the job of a preview (``POST /api/preview``): a short task left out of task lists."""
VIDEO_ENCODERS_META: Final = "video_encoders"
"""What a queue worker tells in its worker info: the video encoders its PyAV build has."""
RETRYABLE: Final[frozenset[TaskStatus]] = frozenset({"FAILED", "CANCELLED"})
"""The statuses a client may retry a task from."""

_KEPT_META = frozenset({"owner", "fingerprint", "created_ms", RETRIES_META, PREVIEW_META})
"""What a retried job keeps of its ``meta`` (the error, attempt id and any lease go)."""


def new_task_id() -> str:
    """32 hex digits: microseconds since the epoch (14 digits, so ids sort by creation even within one
    millisecond) and 72 random bits."""
    return f"{time.time_ns() // 1000:014x}{os.urandom(9).hex()}"


def _time(ms: int | float) -> datetime:
    return datetime.fromtimestamp((ms or 0) / 1000, tz=UTC)


def task_status(job: Job) -> TaskStatus:
    """The status a client sees of a job's lifecycle state (:mod:`faceswap.service.queue.lifecycle`)."""
    return PUBLIC_STATUS[state_of(job)]


def task_error(job: Job, status: TaskStatus) -> TaskError | None:
    """``{code, message}`` of a failed (or retrying) task; ``None`` for a good or cancelled one."""
    if status in ("COMPLETED", "CANCELLED"):
        return None
    recorded = job.meta.get("error") if isinstance(job.meta, dict) else None
    if isinstance(recorded, dict) and "code" in recorded:
        return TaskError(code=str(recorded["code"]), message=str(recorded.get("message", "")))
    if status == "FAILED":
        text = job.error or "the task failed"
        if text == SWEPT_MESSAGE:
            return TaskError(code="worker_lost", message="the worker running this task stopped answering")
        return TaskError(code="internal_error", message=text.strip().splitlines()[-1][:500])
    return None


def is_task_job(job: Job) -> bool:
    return job.function == TASK_FUNCTION and isinstance(job.kwargs, dict) and "task" in job.kwargs


def is_preview_job(job: Job) -> bool:
    """A preview's task: answered to the request that made it, never listed."""
    return isinstance(job.meta, dict) and bool(job.meta.get(PREVIEW_META))


def task_from_job(job: Job, queue_position: int | None = None) -> Task:
    """The API's view of one task job; ``queue_position`` is the queue's answer for a PENDING task (the
    caller asks the queue; it is not stored)."""
    create = TaskCreate.model_validate((job.kwargs or {})["task"])
    status = task_status(job)
    detail = ProgressDetail()
    if status == "PROCESSING" and isinstance(job.meta, dict):
        detail = read_detail(job.meta.get(DETAIL_META), attempt_of(job))
    created = job.meta.get("created_ms") or job.queued
    updated = max(job.touched, job.completed, job.started, job.queued, created or 0)
    return Task(
        task_id=job.key,
        workflow=create.workflow,
        environment=create.environment,
        params=create.params.model_dump(mode="json", exclude_none=True),
        status=status,
        progress=1.0 if status == "COMPLETED" else min(max(float(job.progress or 0.0), 0.0), 1.0),
        result=job.result if status == "COMPLETED" and isinstance(job.result, dict) else None,
        error=task_error(job, status),
        attempts=job.attempts,
        retries=int(job.meta.get(RETRIES_META) or 0) if isinstance(job.meta, dict) else 0,
        created_at=_time(created),
        updated_at=_time(updated),
        webhook=create.webhook,
        **detail.model_dump(),
        queue_position=queue_position if status == "PENDING" else None,
    )


def retried(job: Job, attempts_per_run: int) -> Job:
    """A finished task job as it goes back to the queue for a client's retry: same key, task document,
    owner, idempotency fingerprint and creation time; error, result, progress and times cleared; a new
    attempt id (no write of an earlier attempt applies to it any more, and its outputs go to a new
    folder); the retry counted in ``meta``. ``attempts`` keeps counting across runs, so the run gets
    ``attempts_per_run`` more attempts for transient errors and, once it ends, the earlier attempts'
    files are pruned (:mod:`faceswap.service.attempt_files`)."""
    meta = {k: v for k, v in (job.meta or {}).items() if k in _KEPT_META}
    meta[ATTEMPT_META] = new_attempt_id()
    meta[RETRIES_META] = int(meta.get(RETRIES_META) or 0) + 1
    stamp = now()
    return Job(
        function=job.function,
        kwargs=job.kwargs,
        queue=job.queue,
        key=job.key,
        timeout=job.timeout,
        heartbeat=job.heartbeat,
        retries=job.attempts + attempts_per_run,
        ttl=job.ttl,
        retry_delay=job.retry_delay,
        retry_backoff=job.retry_backoff,
        scheduled=0,
        priority=job.priority,
        group_key=job.group_key,
        attempts=job.attempts,
        queued=stamp,
        touched=stamp,
        status=Status.QUEUED,
        meta=meta,
    )


def job_document(create: TaskCreate) -> dict[str, Any]:
    """The job kwargs that carry a task."""
    return {"task": create.model_dump(mode="json", exclude_none=True)}
