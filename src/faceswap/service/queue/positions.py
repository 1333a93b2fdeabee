"""Queue positions: where a waiting job stands in its queue's line, asked when a task is read.

A position is never stored: it changes whenever a job ahead of it starts, so each read of a PENDING task
(``GET /api/tasks/{id}``, a page of ``GET /api/tasks``, each look of the events stream) asks the queue.
Every backend answers with one cheap query:

- SQLite: ``COUNT(*)`` of the queued jobs ahead of it in claim order (priority, scheduled time, insertion
  order), a range of the ``(queue, status, priority, scheduled)`` index: it reads the index entries ahead,
  not the jobs;
- Redis: ``LPOS`` of the job on SAQ's queued list (workers take jobs from its head), one round trip with
  ``LLEN`` and ``ZSCORE``; LPOS walks the list from the head to the job, so its cost is the position;
- PostgreSQL: ``COUNT(*)`` of the queued jobs ahead of it in claim order (priority, scheduled second,
  then insertion order, SAQ's ``lock_key`` serial) over SAQ's ``(status, queue, priority, scheduled)``
  index.

A job waiting out a retry delay is behind every job that is ready now (1 + the number of those on
Redis, its scheduled time's place on SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from saq.job import Job


@runtime_checkable
class QueuePositions(Protocol):
    """A queue that can tell a waiting job's place in line."""

    async def queue_position(self, job: Job) -> int | None:
        """1 for the job that runs next, 2 for the one after it ...; None when the job is not waiting
        (running, finished or gone)."""
        ...
