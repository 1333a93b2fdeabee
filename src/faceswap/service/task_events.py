"""What follows a task's transitions: its webhook, and its end counted in the metrics.

A :class:`TaskEvents` listens to one connected queue (:meth:`LifecycleQueue.on_transition`), so it hears
every transition this process writes, whoever drives it: a local worker, the remote lease routes, a
sweep, or the API (a cancel, a client's retry). Each transition is written by exactly one process, so
each is reported once:

- the task's webhook gets the task each time its public status changes (PENDING -> PROCESSING on a
  claim, PROCESSING -> PENDING on a retry, and every end: COMPLETED, FAILED, CANCELLED, also a queued
  task cancelled and a task ended by a sweep);
- an end is counted in ``faceswap_tasks_finished_total`` and its run time observed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from faceswap.config import Settings
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.queue.owned import LifecycleQueue, Transition
from faceswap.service.tasks.model import PUBLIC_STATUS, is_terminal
from faceswap.service.tasks.records import is_task_job, task_error
from faceswap.service.webhooks import notify_in_background

logger = logging.getLogger(__name__)


@dataclass
class TaskEvents:
    """The webhooks and metrics of the transitions one process writes (see the module docstring)."""

    settings: Settings
    metrics: ServiceMetrics | None = None
    background: set[asyncio.Task[bool]] = field(default_factory=set)
    """Webhook deliveries under way (:meth:`drain` waits for them)."""

    async def __call__(self, transition: Transition) -> None:
        job = transition.job
        if not is_task_job(job):
            return
        before, after = PUBLIC_STATUS[transition.before], PUBLIC_STATUS[transition.after]
        if before == after:
            return
        if is_terminal(after) and self.metrics is not None:
            task = job.kwargs["task"] if job.kwargs else {}
            workflow = str(task.get("workflow", "")) if isinstance(task, dict) else ""
            error = task_error(job, after)
            seconds = (job.completed - job.started) / 1000 if job.completed and job.started else None
            self.metrics.task_finished(workflow, after, error.code if error else None, seconds)
        notify_in_background(self.settings, self.background, job)

    async def drain(self, timeout: float) -> None:
        """Waits up to ``timeout`` seconds for the webhook deliveries under way."""
        if self.background:
            await asyncio.wait(self.background, timeout=timeout)


def task_events(queue: LifecycleQueue, settings: Settings, metrics: ServiceMetrics | None) -> TaskEvents:
    """The queue's :class:`TaskEvents`, attached on first use: an API and the workers running inside it
    share one queue, and so one listener."""
    for listener in queue.listeners():
        if isinstance(listener, TaskEvents):
            return listener
    events = TaskEvents(settings, metrics)
    queue.on_transition(events)
    return events
