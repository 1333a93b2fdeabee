"""Attempt ownership: only the run that holds a job may write it.

Every claim of a job (a SAQ worker's dequeue, or the API leasing it to a remote worker) gives the job
a fresh random ``meta["attempt_id"]`` and counts the attempt, in the same atomic step that marks it
``active``. From then on each write of that job (progress, heartbeat, finish, retry) is applied only
while the stored job is still running under the same attempt id; any other write is dropped and
logged. A retry (by the owner or by a sweep) hands the job a new attempt id, so an attempt whose job
was swept and re-queued while it was still running (a late heartbeat on a saturated machine) can no
longer finish it, store its result or re-queue it: its watcher sees the change and stops it.

The check is part of the guard every write passes (:func:`.lifecycle.decide`), applied inside each
backend's compare-and-set (:mod:`.owned`).
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from saq.job import Job, Status

ATTEMPT_META: Final = "attempt_id"
ERROR_META: Final = "error"
"""Where a job's ``{code, message}`` error is kept; a claim clears the previous attempt's."""


def new_attempt_id() -> str:
    return secrets.token_hex(8)


def attempt_of(job: Job | dict[str, Any] | None) -> str | None:
    """The attempt id a job (or a job's dict form) carries; None for a job never claimed."""
    meta = job.meta if isinstance(job, Job) else (job or {}).get("meta")
    value = meta.get(ATTEMPT_META) if isinstance(meta, dict) else None
    return str(value) if value is not None else None


def attempt_name(job: Job) -> str:
    """The attempt id of a claimed job, which names the folder its outputs go to
    (``results/<task_id>/<attempt>/``); a job from a queue that stamps none is named by its count."""
    return attempt_of(job) or f"attempt-{job.attempts}"


def claimed(data: dict[str, Any], started_ms: int) -> dict[str, Any]:
    """A queued job's dict form claimed for a new attempt: ``active``, counted, with a new attempt id and
    without the previous attempt's error.

    ``attempts`` is counted here, atomically with the claim, so two claims never share a number;
    the caller hands the job out with ``attempts - 1`` because SAQ's worker (and the lease code)
    add one themselves before their first write.
    """
    meta = {k: v for k, v in (data.get("meta") or {}).items() if k != ERROR_META}
    meta[ATTEMPT_META] = new_attempt_id()
    return {
        **data,
        "meta": meta,
        "status": Status.ACTIVE.value,
        "started": started_ms,
        "touched": started_ms,
        "attempts": int(data.get("attempts") or 0) + 1,
    }


def handed_out(job: Job) -> Job:
    """The claimed job as a worker gets it (see :func:`claimed`)."""
    job.attempts -= 1
    return job


def keep_attempt(job: Job, changes: dict[str, Any]) -> dict[str, Any]:
    """``Job.update`` changes that keep the job's attempt id when they replace its ``meta`` whole."""
    meta, attempt = changes.get("meta"), attempt_of(job)
    if isinstance(meta, dict) and attempt is not None and ATTEMPT_META not in meta:
        return {**changes, "meta": {**meta, ATTEMPT_META: attempt}}
    return changes
