"""The guard of every write of a stored SAQ job: the lifecycle (:mod:`.lifecycle`) applied to jobs.

A state is stored as SAQ's job status (:data:`STATUS_OF`); :func:`state_of` reads it back, and
:func:`decide` answers, for the stored job and a write, the job to store or a refusal. The backends
call it inside their compare-and-set (:mod:`.owned`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from saq.job import Job, Status
from saq.queue.base import DEFAULT_SWEPT_JOB_ERROR

from faceswap.service.queue.attempts import attempt_of
from faceswap.service.queue.lifecycle import OWNER_EVENTS, TERMINAL, Event, State, next_state

STATUS_OF: Final[Mapping[State, Status]] = {
    "queued": Status.QUEUED,
    "running": Status.ACTIVE,
    "cancelling": Status.ABORTING,
    "completed": Status.COMPLETE,
    "failed": Status.FAILED,
    "cancelled": Status.ABORTED,
}
"""How each state is stored: SAQ's job status."""
FINISHED: Final[frozenset[Status]] = frozenset(STATUS_OF[state] for state in TERMINAL)
"""The stored statuses of a finished job."""
_STATE_OF_STATUS: Final[Mapping[Status, State]] = {
    **{status: state for state, status in STATUS_OF.items()},
    Status.NEW: "queued",
}
SWEPT_MESSAGE: Final = DEFAULT_SWEPT_JOB_ERROR
"""The error of a job whose worker stopped answering (FAILED ``worker_lost``)."""
CANCELLED_CODE: Final = "cancelled"


def state_of(job: Job) -> State:
    """The state a stored job is in.

    Two stored forms that other writers of SAQ jobs produce read by what they mean: a job ended
    ``aborted`` with the swept error (SAQ's own sweep) failed, and a job ended ``failed`` with the error
    code ``cancelled`` was cancelled.
    """
    state = _STATE_OF_STATUS[job.status]
    if state == "cancelled" and job.error == SWEPT_MESSAGE:
        return "failed"
    if state == "failed" and _error_code(job) == CANCELLED_CODE:
        return "cancelled"
    return state


def _error_code(job: Job) -> str | None:
    error = job.meta.get("error") if isinstance(job.meta, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code is not None else None


def event_of(status: Status) -> Event:
    """The event of a SAQ ``finish(status)`` call."""
    if status == Status.COMPLETE:
        return "complete"
    if status == Status.ABORTED:
        return "stop"
    if status == Status.FAILED:
        return "fail"
    raise ValueError(f"{status.value} is not an end of a job")


def decide(stored: Job | None, event: Event, attempt: str | None, write: Job) -> Job | None:
    """The job to store when ``event``, carrying ``write`` as the writer's copy, meets ``stored``; None
    refuses it (the stored job is gone, the event is illegal in its state, or it is an owner event of
    an attempt that no longer holds the job).

    ``write`` is returned with the status of the state it lands in; a write that lands ``cancelled``
    where it meant to complete, fail or retry keeps the stored cancel's error and no result.
    ``attempt`` is the attempt the writer holds (owner events) or read (``requeue``).
    """
    if stored is None:
        return None
    state = state_of(stored)
    landed = next_state(state, event)
    if landed is None:
        return None
    if (event in OWNER_EVENTS or event == "requeue") and attempt_of(stored) != attempt:
        return None
    write.status = STATUS_OF[landed]
    if landed == "cancelling" and event == "progress":
        write.error = stored.error
    if landed == "cancelled" and event != "cancel":
        write.result = None
        if event != "stop" or write.error is None:  # a stop keeps the error it ends with
            write.error = stored.error
    return write
