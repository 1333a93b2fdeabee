"""The engine service's requests in flight, by id, and running one until it ends or is stopped.

A request is stopped by ``POST /cancel/{id}`` (:meth:`InFlight.cancel`) or when its client goes away
(the caller gave up: a cancelled task, a timeout, a dead worker). Stopping tells the swap to stop
(``should_cancel``: a video stops at its next frame batch), cancels its coroutine, and waits for it to
end, so the slot is free and no output is stored when the request answers ``cancelled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from faceswap.errors import CancelledError, ConflictError, NotFoundError
from faceswap.service.processors.base import TaskRun

logger = logging.getLogger(__name__)

T = TypeVar("T")
DISCONNECT_POLL_S = 0.25
"""How often a running request looks whether its client is still there."""


@dataclass
class InFlight:
    """Stop events of the requests running now, by request id."""

    stops: dict[str, asyncio.Event] = field(default_factory=dict)

    @contextlib.contextmanager
    def track(self, request_id: str) -> Iterator[asyncio.Event]:
        """Registers ``request_id`` while the block runs; ``conflict`` if it is running already."""
        if request_id in self.stops:
            raise ConflictError(f"request {request_id!r} is running already")
        stop = asyncio.Event()
        self.stops[request_id] = stop
        try:
            yield stop
        finally:
            del self.stops[request_id]

    def cancel(self, request_id: str) -> None:
        """Asks request ``request_id`` to stop; ``not_found`` if it is not running (done or unknown)."""
        stop = self.stops.get(request_id)
        if stop is None:
            raise NotFoundError(f"no request {request_id!r} is running")
        stop.set()


async def until_stopped(
    work: Coroutine[Any, Any, T],
    run: TaskRun,
    stop: asyncio.Event,
    gone: Callable[[], Awaitable[bool]],
) -> T:
    """``work``'s result, unless ``stop`` is set or ``gone()`` turns true first: then the work is
    stopped, awaited, and :class:`CancelledError` raised."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not task.done():
            await asyncio.wait(
                {task, stopping}, timeout=DISCONNECT_POLL_S, return_when=asyncio.FIRST_COMPLETED
            )
            if task.done():
                break
            why = "cancelled" if stop.is_set() else "its client went away" if await gone() else ""
            if why:
                logger.info("swap %s: %s; stopping", run.task_id, why)
                _stop(run, task)
                await asyncio.wait({task})
                if task.cancelled() or task.exception() is not None:
                    raise CancelledError(f"swap {run.task_id} was stopped: {why}")
        return task.result()  # (also when it finished just as it was stopped)
    finally:
        stopping.cancel()
        if not task.done():  # this request itself was cancelled (the service is shutting down)
            _stop(run, task)


def _stop(run: TaskRun, task: asyncio.Future[Any]) -> None:
    run.abort_requested = True
    run.cancelled.set()
    task.cancel()
