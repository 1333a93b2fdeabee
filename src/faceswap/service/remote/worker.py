"""The remote worker: lease tasks over HTTP, run the same processors locally, report back.

``faceswap worker --api URL --token T`` runs :func:`run_remote_worker`, which first sweeps what killed
work left in its scratch folder (:mod:`faceswap.service.leftovers`). Each of its ``concurrency``
slots long-polls ``GET /api/comm/task/fetch``; a leased task runs its workflow's processor with a
:class:`RemoteTaskRun`, which reads inputs through the lease (presigned storage URLs or the API) and
stores outputs through :class:`~faceswap.service.remote.storage.ApiStorage`. Meanwhile a heartbeat
every ``heartbeat_every_s`` (from the lease) carries the progress and its detail (stage, frames, rate,
time left); an answer saying the task was cancelled, or that the lease was lost, stops the processor
(video stops at its next frames) and nothing more is reported. The outcome is reported with ``complete`` or ``fail`` ``{code, message}``
(the API retries transient errors). On SIGTERM/SIGINT the worker stops leasing and lets running tasks
finish for up to ``service.image_timeout_s``; a task still running then is failed ``worker_lost``
(transient), which puts it back in the queue at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from faceswap.config import Settings
from faceswap.errors import (
    BadOptionError,
    FaceswapError,
    LeaseLostError,
    NotFoundError,
    WorkerLostError,
    log_level,
)
from faceswap.service.comm.messages import LeasedTask
from faceswap.service.leftovers import sweep_leftovers
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.context import WorkerContext
from faceswap.service.processors.registry import load_processor
from faceswap.service.remote.client import CommClient
from faceswap.service.remote.storage import ApiStorage
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.refs import decode_data_url

logger = logging.getLogger(__name__)

LONG_POLL_S = 20.0
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Pauses between attempts while the API cannot be reached."""
REPORT_ATTEMPTS = 5


@dataclass
class RemoteTaskRun(TaskRun):
    """A task attempt whose inputs come through its lease."""

    leased: LeasedTask | None = None
    client: CommClient | None = None

    async def read(self, ref: str) -> bytes:
        assert self.leased is not None
        assert self.client is not None
        for source in self.leased.inputs:
            if source.ref == ref:
                lease_id = self.leased.lease.lease_id
                return await self.client.read_input(self.task_id, lease_id, source, self.max_input_bytes)
        if ref.startswith("data:"):
            return decode_data_url(ref, self.max_input_bytes)
        raise NotFoundError(f"input {ref[:80]!r} is not one of the leased task's inputs")


def task_of(leased: LeasedTask) -> TaskCreate:
    """The task to run (webhooks are the API's business, so none here)."""
    return TaskCreate.model_validate(
        {"workflow": leased.workflow, "environment": leased.environment, "params": leased.params}
    )


@dataclass
class RemoteWorker:
    client: CommClient
    storage: ApiStorage
    context: WorkerContext
    concurrency: int = 1
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Runs the slots until :attr:`stopping` is set, then drains (see the module docstring)."""
        slots = [asyncio.create_task(self._slot(n)) for n in range(self.concurrency)]
        await self.stopping.wait()
        logger.info("stopping: no new tasks; waiting for running ones")
        grace = self.context.settings.service.image_timeout_s
        _, late = await asyncio.wait(slots, timeout=grace)
        for slot in late:
            slot.cancel()
        await asyncio.gather(*slots, return_exceptions=True)

    async def _slot(self, number: int) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                leased = await self._fetch()
                failures = 0
            except FaceswapError as error:
                pause = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                logger.warning(
                    "slot %d: cannot lease (%s: %s); again in %g s", number, error.code, error, pause
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), pause)
                continue
            except Exception:  # an answer this worker cannot read (another version of the API?)
                logger.exception("slot %d: cannot lease; again in %g s", number, BACKOFF_S[-1])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), BACKOFF_S[-1])
                continue
            if leased is not None:
                await self.run_lease(leased)

    async def _fetch(self) -> LeasedTask | None:
        fetching = asyncio.create_task(self.client.fetch(LONG_POLL_S))
        stop = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({fetching, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not fetching.done():
            fetching.cancel()
            return None
        return fetching.result()

    async def run_lease(self, leased: LeasedTask) -> None:
        task_id, lease_id = leased.task_id, leased.lease.lease_id
        try:
            run = RemoteTaskRun(
                task_id=task_id,
                task=task_of(leased),
                worker=self.context,
                attempt=leased.lease.attempt_id,
                leased=leased,
                client=self.client,
            )
            processor = load_processor(run.task.workflow, self.context.settings)
        except (FaceswapError, ValueError) as error:  # a workflow or task this worker cannot run
            failure = error if isinstance(error, FaceswapError) else BadOptionError(str(error))
            logger.warning("task %s: cannot run it: %s", task_id, failure.message)
            await self._report(task_id, lease_id, "fail", failure.to_dict())
            return
        logger.info("task %s: leased %s (attempt %d)", task_id, run.task.workflow, leased.attempts)
        self.storage.hold(task_id, lease_id)
        work: asyncio.Task[dict[str, Any]] = asyncio.ensure_future(processor(run))
        beats = asyncio.create_task(self._heartbeats(run, leased, work))
        try:
            result = await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if run.abort_requested and (current is None or current.cancelling() == 0):
                logger.info("task %s: stopped (cancelled or lease lost)", task_id)
                return
            work.cancel()
            await self._report(
                task_id, lease_id, "fail", WorkerLostError("the remote worker stopped").to_dict()
            )
            raise
        except FaceswapError as error:
            if not run.abort_requested:
                logger.log(
                    log_level(error),
                    "task %s: %s: %s",
                    task_id,
                    error.code,
                    error.message,
                    extra={"task_id": task_id, "code": error.code},
                )
                await self._report(task_id, lease_id, "fail", error.to_dict())
        except Exception as error:
            logger.exception("task %s: failed", task_id)
            bug = {
                "code": "internal_error",
                "message": f"internal error ({type(error).__name__}); the remote worker's log has the details",
            }
            await self._report(task_id, lease_id, "fail", bug)
        else:
            if not run.abort_requested:
                await self._report(task_id, lease_id, "complete", result)
                logger.info("task %s: completed", task_id)
        finally:
            beats.cancel()
            self.storage.release(task_id)

    async def _report(self, task_id: str, lease_id: str, what: str, body: dict[str, Any]) -> None:
        """Sends ``complete`` (body: the result) or ``fail`` (``{code, message}``), retrying while the
        API cannot be reached; if it never answers, the lease expires and the task is run again."""
        for attempt in range(REPORT_ATTEMPTS):
            try:
                if what == "complete":
                    await self.client.complete(task_id, lease_id, body)
                else:
                    await self.client.fail(task_id, lease_id, body["code"], body["message"])
                return
            except FaceswapError as error:
                if not error.transient or attempt == REPORT_ATTEMPTS - 1:
                    logger.warning("task %s: could not report %s: %s: %s", task_id, what, error.code, error)
                    return
                await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])

    async def _heartbeats(self, run: RemoteTaskRun, leased: LeasedTask, work: asyncio.Task[Any]) -> None:
        lease_id = leased.lease.lease_id
        while not work.done():
            await asyncio.sleep(leased.lease.heartbeat_every_s)
            try:
                answer = await self.client.heartbeat(run.task_id, lease_id, run.fraction, run.meter.detail())
            except (LeaseLostError, NotFoundError) as error:
                logger.warning("task %s: lease lost (%s); dropping the task", run.task_id, error)
                stop(run, work)
                return
            except FaceswapError as error:
                logger.warning("task %s: heartbeat failed: %s: %s", run.task_id, error.code, error)
                continue
            if answer.cancelled:
                logger.info("task %s: cancel seen; stopping", run.task_id)
                stop(run, work)
                return


def stop(run: TaskRun, work: asyncio.Task[Any]) -> None:
    """Stops a task's processor: its thread sees ``should_cancel``, the coroutine is cancelled."""
    run.abort_requested = True
    run.cancelled.set()
    work.cancel()


async def run_remote_worker(
    settings: Settings,
    api_url: str,
    token: str,
    *,
    name: str = "remote",
    concurrency: int = 1,
    metrics: ServiceMetrics | None = None,
) -> None:
    """Runs a remote worker against the API at ``api_url`` until SIGTERM/SIGINT, then drains."""
    client = CommClient(api_url, token, worker=name)
    storage = ApiStorage(client)
    context = WorkerContext.from_settings(settings, storage, metrics)
    worker = RemoteWorker(client, storage, context, concurrency)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stopping.set)
    logger.info("remote worker %s on %s, concurrency %d", name, client.api_url, concurrency)
    try:
        await sweep_leftovers(storage, settings.data_dir)  # its scratch folder (it stores nothing itself)
        if settings.service.preload_engine:  # before any lease: no heartbeat waits behind the load
            await asyncio.to_thread(context.preload)
        await worker.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await client.aclose()
