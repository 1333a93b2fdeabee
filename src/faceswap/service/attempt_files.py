"""Deleting the output files of task attempts that did not complete their task.

Outputs live under ``results/<task_id>/<attempt>/`` (:mod:`faceswap.storage.keys`). Attempt ids are fresh
random values for every claim of a job and a job's attempt id only ever moves to a new one, so an attempt
that is not the job's current one never becomes current again, and once a task has finished no new
attempt can start. That makes two deletions always safe:

- the files of any attempt other than the job's current one (it lost the task: swept, re-queued,
  claimed again or finished by another attempt);
- once the job has finished, every attempt folder except that of the attempt which completed it.

:func:`tidy_attempt` applies them when an attempt ends (a queue worker's ``after_process``, the API's
answers to a remote worker). Deleting an attempt's files also removes the leftovers of its interrupted
writes in its folder (a killed writer's hidden temporary files, unfinished multipart uploads), whatever
their age: an attempt that lost its task has no write worth finishing, and once a task has finished no
write to its folder is wanted. What a killed process wrote between its upload and its tidy-up is left to
retention (``results/`` ages out as a whole) unless a later attempt finishes the task and prunes it; its
leftovers also go with the storage's periodic sweep (:mod:`faceswap.service.leftovers`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from saq.job import Job, Status

from faceswap.service.queue.attempts import attempt_name
from faceswap.service.queue.guard import FINISHED
from faceswap.storage.base import Storage
from faceswap.storage.keys import attempt_prefix, parse_result_key, results_prefix

logger = logging.getLogger(__name__)


async def discard_attempt(
    storage: Storage, task_id: str, attempt: str, keys: Iterable[str] | None = None
) -> int:
    """Deletes what ``attempt`` stored for ``task_id``: ``keys`` when the caller knows them (no listing),
    else everything under the attempt's folder, and the leftovers of its interrupted writes there. The
    number of objects deleted."""
    prefix = attempt_prefix(task_id, attempt)
    if keys is None:
        found = [obj.key async for obj in storage.list(prefix)]
    else:
        found = [key for key in keys if key.startswith(prefix)]
    deleted = await storage.delete_all(found)
    await sweep_all_leftovers(storage, prefix)
    return deleted


async def prune_attempts(storage: Storage, task_id: str, keep: str | None) -> int:
    """Deletes the files of every attempt at the finished task ``task_id`` but ``keep`` (None: all
    attempts), and the leftovers of interrupted writes anywhere in the task's folder; files of the layout
    without attempt folders (``results/<task_id>/<name>``) are left alone."""
    doomed = []
    async for obj in storage.list(results_prefix(task_id)):
        parts = parse_result_key(obj.key)
        if parts is not None and parts.attempt is not None and parts.attempt != keep:
            doomed.append(obj.key)
    deleted = await storage.delete_all(doomed)
    await sweep_all_leftovers(storage, results_prefix(task_id))
    return deleted


async def sweep_all_leftovers(storage: Storage, prefix: str) -> int:
    """Removes the leftovers of interrupted writes under ``prefix`` whatever their age (hidden temporary
    files of a local storage, unfinished multipart uploads): every write there has ended or is doomed."""
    removed = await storage.sweep_leftovers(datetime.now(UTC), older_than=timedelta(0), prefix=prefix)
    if removed:
        logger.info("removed %d leftover(s) of interrupted writes under %s", removed, prefix)
    return removed


async def tidy_attempt(
    storage: Storage,
    stored: Job | None,
    task_id: str,
    attempt: str,
    keys: Iterable[str] | None = None,
) -> int:
    """Deletes what attempt ``attempt`` at ``task_id`` leaves behind now that it has ended, judged by
    ``stored``, the job as the queue has it after the attempt's last write:

    - the job finished: every attempt's files but those of the attempt that completed it, if one did
      (only ``attempt``'s own when it was the job's one and only claim, which saves a listing);
    - the job runs or waits under another attempt: ``attempt``'s files (``keys`` if known);
    - the job is still ``attempt``'s (its final write did not happen): nothing, the sweep will retry it;
    - the job is gone (expired): ``attempt``'s files.

    The number of objects deleted."""
    if stored is not None and stored.status in FINISHED:
        keep = attempt_name(stored) if stored.status == Status.COMPLETE else None
        if stored.attempts > 1:
            deleted = await prune_attempts(storage, task_id, keep)
        else:
            deleted = 0 if keep == attempt else await discard_attempt(storage, task_id, attempt, keys)
    elif stored is None or attempt_name(stored) != attempt:
        deleted = await discard_attempt(storage, task_id, attempt, keys)
    else:
        return 0
    if deleted:
        logger.info("task %s: deleted %d file(s) of attempts that did not complete it", task_id, deleted)
    return deleted
