"""The SAQ function every task job runs: dispatch on the workflow, report progress, classify failures.

- A watcher polls the job every ``service.abort_poll_s``: a cancel sets the run's ``cancelled``
  event (video stops at the next frames), otherwise changed progress is written, and the job is
  touched at least every third of its ``heartbeat`` so only a dead worker's job looks stuck. The
  progress detail (stage, frames, rate, time left) goes in the same write, in ``meta``.
- A :class:`FaceswapError` is recorded as ``meta.error = {code, message}``; when it is not
  ``transient`` (a missing face, a bad file) the job's remaining retries are dropped, so only
  transient errors are retried (with the backoff set at submission). Other exceptions are bugs:
  recorded as ``internal_error`` and not retried.
- A task stopped by a cancel waits for SAQ's abort loop to end it ``aborted`` (CANCELLED); whatever
  the attempt writes once the cancel is stored lands CANCELLED too (:mod:`faceswap.service.queue.lifecycle`).
- An attempt that lost its job (the watcher sees another attempt id on it, or the job finished: a
  sweep took it for a dead worker's and re-queued or ended it) is stopped at once like a cancel and
  fails with ``lease_lost``; the queue refuses its writes (:mod:`faceswap.service.queue.guard`).
- Webhooks and the metrics of a task's end follow the queue's transitions
  (:mod:`faceswap.service.task_events`), not this module.
- Outputs go under the attempt's own folder (``results/<task_id>/<attempt>/``). When the attempt ends,
  ``after_process`` deletes its files unless it completed the task, and once the task has finished,
  the files of every other attempt (:func:`faceswap.service.attempt_files.tidy_attempt`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from saq.job import Job

from faceswap.choices import TaskStage
from faceswap.errors import CancelledError, FaceswapError, LeaseLostError, log_level
from faceswap.service.attempt_files import tidy_attempt
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.context import WorkerContext
from faceswap.service.processors.outputs import AttemptOutputs
from faceswap.service.processors.registry import load_processor
from faceswap.service.queue.attempts import attempt_name, attempt_of
from faceswap.service.tasks.attempt import record_failure, standing
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.progress import DETAIL_META, stored_detail

logger = logging.getLogger(__name__)

ABORT_GRACE_S = 10.0
"""How long a cancelled task waits for SAQ to abort it before it fails itself with ``cancelled``."""
OUTPUTS_CTX = "faceswap_outputs"
"""Where ``run_task`` leaves the attempt's :class:`AttemptOutputs` for ``after_process``."""


async def run_task(ctx: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    job: Job = ctx["job"]
    worker: WorkerContext = ctx["worker"]
    task = TaskCreate.model_validate(kwargs["task"])
    run = TaskRun(task_id=job.key, task=task, worker=worker, attempt=attempt_name(job))
    ctx[OUTPUTS_CTX] = run.outputs
    logger.info(
        "task %s: started %s (attempt %d of %d)", job.key, run.task.workflow, job.attempts, job.retries
    )
    work = asyncio.ensure_future(_process(run, worker))
    lost = asyncio.Event()
    watcher = asyncio.create_task(watch(job, run, worker, lost, work))
    try:
        try:
            result = await work
        except (asyncio.CancelledError, FaceswapError):
            _raise_if_lost(job, lost)
            raise
        _raise_if_lost(job, lost)
        if run.abort_requested:
            await _await_abort(job)
        logger.info("task %s: completed", job.key)
        return result
    except LeaseLostError:
        raise  # nothing to record: the job is another attempt's now
    except FaceswapError as error:
        failure = error
        if run.abort_requested:
            await _await_abort(job)  # SAQ normally cancels us here; else end FAILED/cancelled
            failure = CancelledError("cancelled by the client")
        record_failure(job, failure.code, failure.public(), transient=failure.transient)
        logger.log(
            log_level(failure),
            "task %s: %s: %s",
            job.key,
            failure.code,
            failure.message,
            extra={"task_id": job.key, "code": failure.code},
        )
        if failure is not error:
            raise failure from error
        raise
    except Exception as error:
        if run.abort_requested:  # the work broke off because it was told to stop: a cancel, not a bug
            await _await_abort(job)  # SAQ normally cancels us here; else end CANCELLED
            cancelled = CancelledError("cancelled by the client")
            record_failure(job, cancelled.code, cancelled.public())
            logger.info("task %s: stopped on a cancel (%s)", job.key, type(error).__name__)
            raise cancelled from error
        # the text of an unexpected error (a library's assertion, paths) is for the log (SAQ logs it with
        # its traceback), not for clients
        message = f"internal error ({type(error).__name__}); the worker's log has the details"
        record_failure(job, "internal_error", message)
        raise
    finally:
        watcher.cancel()
        work.cancel()
        await run.outputs.settle()  # a write still running ends before after_process tidies up


async def _process(run: TaskRun, worker: WorkerContext) -> dict[str, Any]:
    return await load_processor(run.task.workflow, worker.settings)(run)


def _raise_if_lost(job: Job, lost: asyncio.Event) -> None:
    current = asyncio.current_task()
    if lost.is_set() and (current is None or current.cancelling() == 0):
        raise LeaseLostError(
            f"task {job.key}: this attempt lost the job (swept or re-queued); result dropped"
        )


async def _await_abort(job: Job) -> None:
    """Waits for SAQ's abort loop to cancel this coroutine (the job then ends ``aborted``)."""
    await asyncio.sleep(ABORT_GRACE_S)


async def watch(
    job: Job, run: TaskRun, worker: WorkerContext, lost: asyncio.Event, work: asyncio.Future[Any]
) -> None:
    service = worker.settings.service
    touch_every = max(1.0, service.heartbeat_s / 3)
    written: tuple[float, TaskStage | None] = (0.0, None)
    touched = time.monotonic()
    queue = job.get_queue()
    while True:
        await asyncio.sleep(service.abort_poll_s)
        try:
            now = standing(await queue.job(job.key), attempt_of(job))
            if now in ("cancelling", "cancelled"):
                run.abort_requested = True
                run.cancelled.set()
                logger.info("task %s: cancel seen; stopping", job.key)
                return
            if now == "lost":
                lost.set()
                run.cancelled.set()
                work.cancel()
                logger.warning(
                    "task %s: attempt %d lost the job (swept or re-queued); stopping", job.key, job.attempts
                )
                return
            fraction, detail = run.fraction, run.meter.detail()
            if (fraction, detail.stage) != written or time.monotonic() - touched >= touch_every:
                job.meta[DETAIL_META] = stored_detail(detail, attempt_of(job))  # written with the progress
                await job.update(progress=fraction)
                written, touched = (fraction, detail.stage), time.monotonic()
        except Exception:
            logger.exception("task %s: progress update failed", job.key)


async def after_process(ctx: dict[str, Any]) -> None:
    """SAQ's after-process hook, once the attempt's last write (finish or retry) is done or refused:
    deletes what the attempt leaves behind (its outputs unless it completed the task; other attempts'
    once the task has finished), judged by the job as stored now."""
    job: Job | None = ctx.get("job")
    worker: WorkerContext | None = ctx.get("worker")
    outputs: AttemptOutputs | None = ctx.get(OUTPUTS_CTX)
    if job is None or worker is None or outputs is None:
        return
    await outputs.settle()  # SAQ may get here before a cancelled run_task has settled its writes
    stored = await job.get_queue().job(job.key)
    await tidy_attempt(worker.storage, stored, job.key, outputs.attempt, outputs.keys)
