"""``LifecycleQueue``: every write of a job, written once over one compare-and-set per backend.

A backend (SQLite, Redis, PostgreSQL) supplies :meth:`LifecycleQueue._cas`: in one atomic step it reads
the stored job, asks ``change(stored)`` for the job to store, and stores it placed by its status, or
writes nothing when ``change`` answers None. Placement by status:

- ``queued``: ready at ``run_at`` (Unix seconds; None: now), on no running list, no expiry, no claim;
- ``active`` / ``aborting``: the job as it is (a running job stays where its claim put it);
- finished: off every list, kept for the job's ``ttl`` seconds (0: for good; below 0: gone at once).

Everything else is here, once, for every backend: which event each SAQ call is
(:mod:`.lifecycle`), the guard (:mod:`.guard`) that refuses illegal and superseded writes, the attempt a retry hands
out, and the listeners each transition is announced to (webhooks and metrics hang on them; see
:mod:`faceswap.service.task_events`). A write the guard refuses is logged and dropped, as SAQ's callers
expect no error from a write.
"""

from __future__ import annotations

import logging
import time
import typing as t
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from saq.job import Job, Status
from saq.queue.base import Queue
from saq.utils import now

from faceswap.service.queue.attempts import ATTEMPT_META, attempt_of, keep_attempt, new_attempt_id
from faceswap.service.queue.guard import decide, event_of, state_of
from faceswap.service.queue.lifecycle import OWNER_EVENTS, TERMINAL, Event, State

logger = logging.getLogger(__name__)

Change = Callable[[Job | None], Job | None]
"""What a compare-and-set stores, given the stored job (None: it is gone); None: nothing."""


@dataclass(frozen=True)
class Transition:
    """A write the guard let through: the job as stored now, and the states it went between."""

    before: State
    after: State
    event: Event
    job: Job


Listener = Callable[[Transition], Awaitable[None]]


class LifecycleQueue(Queue):
    """SAQ's ``Queue`` whose writes all pass :func:`~faceswap.service.queue.guard.decide`.

    Mixed in before a SAQ backend class; the backend implements :meth:`_cas` and its own claim, which
    announces the claim through :meth:`_announce`.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._listeners: list[Listener] = []

    def on_transition(self, listener: Listener) -> None:
        """Calls ``listener`` after each transition this queue instance writes (a claim included)."""
        self._listeners.append(listener)

    def listeners(self) -> tuple[Listener, ...]:
        return tuple(self._listeners)

    async def _announce(self, transition: Transition) -> None:
        for listener in self.listeners():
            try:
                await listener(transition)
            except Exception:
                logger.exception("task %s: a listener of %s failed", transition.job.key, transition.event)

    async def _cas(self, key: str, change: Change, run_at: float | None) -> Job | None:
        """See the module docstring; the job stored, or None when nothing was written."""
        raise NotImplementedError

    async def transition(
        self,
        key: str,
        event: Event,
        attempt: str | None,
        write: Callable[[Job], Job],
        run_at: float | None = None,
    ) -> Job | None:
        """Writes ``write(stored)`` if ``event`` is legal in the stored job's state and, for owner events
        and ``requeue``, ``attempt`` is the stored job's; returns the job as stored, or None (refused)."""
        before: list[State] = []
        stamp = now()

        def change(stored: Job | None) -> Job | None:
            if stored is None:
                return None
            before[:] = [state_of(stored)]
            landed = decide(stored, event, attempt, write(stored))
            if landed is not None and state_of(landed) in TERMINAL and not landed.completed:
                landed.completed = stamp
            return landed

        written = await self._cas(key, change, run_at)
        if written is None:
            level = logging.WARNING if event in OWNER_EVENTS else logging.INFO
            logger.log(
                level,
                "task %s: %s (attempt %s) refused: the job is gone, finished or another attempt's",
                key,
                event,
                attempt,
            )
            return None
        await self._announce(Transition(before[0], state_of(written), event, written))
        return written

    def _writing(self, job: Job) -> Callable[[Job], Job]:
        """The writer's own copy, taken afresh for each try of a compare-and-set."""
        return lambda stored: self.copy(job)

    # SAQ's writes ----------------------------------------------------------------------------------

    async def update(self, job: Job, **kwargs: t.Any) -> None:
        await super().update(job, **keep_attempt(job, kwargs))

    async def _update(self, job: Job, status: Status | None = None, **kwargs: t.Any) -> None:
        """Progress and heartbeats of the attempt that holds the job (SAQ marks a started job ``active``
        here: it is so since its claim)."""
        if status not in (None, Status.ACTIVE):
            raise ValueError(f"an update cannot make a job {status.value}")
        await self.transition(job.key, "progress", attempt_of(job), self._writing(job))

    async def _retry(self, job: Job, error: str | None) -> None:
        """Back to the queue after the retry delay, under a new attempt id: the attempt that was retried
        (by itself or by a sweep) can write the job no more."""
        owner = attempt_of(job)
        job.meta[ATTEMPT_META] = new_attempt_id()
        delay = job.next_retry_delay()
        run_at = time.time() + delay if delay else None
        if run_at is not None:
            job.scheduled = int(run_at)
        await self.transition(job.key, "retry", owner, self._writing(job), run_at)

    async def _finish(
        self, job: Job, status: Status, *, result: t.Any = None, error: str | None = None, **kwargs: t.Any
    ) -> None:
        await self.transition(job.key, event_of(status), attempt_of(job), self._writing(job))

    async def end(
        self, job: Job, status: Status, *, result: t.Any = None, error: str | None = None
    ) -> Job | None:
        """SAQ's ``finish`` of the attempt ``job`` carries, answering the job as stored (None: refused)."""
        job.status, job.result, job.error, job.completed = status, result, error, now()
        if status == Status.COMPLETE:
            job.progress = 1.0
        return await self.transition(job.key, event_of(status), attempt_of(job), self._writing(job))

    async def requeue(self, job: Job, attempt: str | None) -> bool:
        """A finished job back in the queue as ``job`` (a client's retry), only while it is still
        finished under ``attempt`` (:class:`~faceswap.service.queue.attempts.Requeues`)."""
        run_at = float(job.scheduled) if job.scheduled else None
        return await self.transition(job.key, "requeue", attempt, self._writing(job), run_at) is not None

    async def cancel(self, key: str, error: str) -> Job | None:
        """Cancels the stored job: a queued one ends ``aborted`` at once, a running one becomes
        ``aborting`` (its attempt, or a sweep, ends it); None when it is gone or already finished."""

        def marked(stored: Job) -> Job:
            write = self.copy(stored)
            write.error = error
            return write

        return await self.transition(key, "cancel", None, marked)

    async def abort(self, job: Job, error: str, ttl: float = 5) -> None:
        written = await self.cancel(job.key, error)
        if written is not None:
            job.replace(written)
