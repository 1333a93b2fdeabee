"""``TaskWorker``: SAQ's ``Worker`` whose periodic upkeep ends as soon as the worker stops.

SAQ runs each upkeep job (abort checks, scheduling, the sweep, worker info) in a loop, and
``Worker.stop`` waits for those loops to end. Here each loop waits for its period on the worker's stop
event rather than sleeping it out, so an idle worker stops at once on Ctrl-C or SIGTERM (not up to
``service.sweep_interval_s`` later); running tasks are drained by ``Worker.stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from saq import Worker

logger = logging.getLogger(__name__)


class TaskWorker(Worker[Any]):
    """SAQ's worker with upkeep loops that stop with it (see the module docstring)."""

    async def upkeep(self) -> list[asyncio.Task[None]]:
        timers = self.timers
        info_every = timers["worker_info"]
        return [
            asyncio.create_task(self._every("abort", timers["abort"], self.abort)),
            asyncio.create_task(self._every("schedule", timers["schedule"], self.schedule)),
            asyncio.create_task(self._every("sweep", timers["sweep"], self.queue.sweep)),
            # the worker's entry outlives one period, as in SAQ
            asyncio.create_task(self._every("worker_info", info_every, self.worker_info, info_every + 1)),
        ]

    async def _every(
        self, name: str, period: float, run: Callable[[Any], Awaitable[object]], arg: float | None = None
    ) -> None:
        """Runs ``run(arg or period)`` every ``period`` seconds until the worker stops."""
        while not self.event.is_set():
            try:
                await run(arg or period)
            except (Exception, asyncio.CancelledError):  # as SAQ: one failed run does not end upkeep
                if self.event.is_set():
                    return
                logger.exception("worker upkeep %r failed; trying again in %s s", name, period)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event.wait(), period)
