"""The rules a running attempt follows, for both drivers of an attempt: a local SAQ worker
(:mod:`faceswap.service.worker.run`) and a remote worker through the lease routes
(:mod:`faceswap.service.comm.leases`).

- :func:`standing`: whether the attempt still holds its job, was asked to stop, or lost it;
- :func:`record_failure`: how an attempt's error is recorded, and the one retry rule: only a transient
  error (``FaceswapError.transient``) keeps the job's remaining attempts.

The writes themselves are the queue's lifecycle events (:mod:`faceswap.service.queue.owned`), which
refuse whatever the attempt may no longer write.
"""

from __future__ import annotations

from typing import Literal

from saq.job import Job

from faceswap.errors import error_for_code, public_message
from faceswap.service.queue.attempts import ERROR_META, attempt_of
from faceswap.service.queue.guard import state_of

Standing = Literal["holding", "cancelling", "cancelled", "lost"]


def standing(stored: Job | None, attempt: str | None) -> Standing:
    """Where an attempt stands with its stored job: ``holding`` (running under it), ``cancelling`` (a
    cancel is stored: stop and end the attempt), ``cancelled`` (the task ended cancelled), ``lost``
    (gone, finished otherwise, or another attempt's: stop, and every write of it is refused)."""
    if stored is None:
        return "lost"
    state = state_of(stored)
    if state == "cancelled":
        return "cancelled"
    if attempt_of(stored) != attempt:
        return "lost"
    if state == "running":
        return "holding"
    return "cancelling" if state == "cancelling" else "lost"


def record_failure(job: Job, code: str, message: str, *, transient: bool | None = None) -> None:
    """Records ``{code, message}`` on the attempt's job; unless the error is transient (by default: as
    the error class of ``code`` says) the job's remaining attempts are dropped, so it ends FAILED."""
    job.meta[ERROR_META] = {"code": code, "message": public_message(message)}
    if not (error_for_code(code).transient if transient is None else transient):
        job.retries = job.attempts
