"""``TaskRun``: what a processor gets for one task attempt (inputs, storage, engines, progress, cancel).

A processor is ``async def process(run: TaskRun) -> dict`` (the task's ``result``). It stores its output
files with ``run.outputs.store`` (under this attempt's own folder). Blocking work goes
through :meth:`TaskRun.in_thread`, which applies the per-type time limit and, when the task is cancelled
or times out, tells the work to stop (``should_cancel``) and waits for its thread before returning.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from faceswap.choices import MediaKind, TaskStage
from faceswap.errors import TaskTimeoutError
from faceswap.limits import MediaInfo, check_face_room, check_media
from faceswap.service.processors.context import WorkerContext
from faceswap.service.processors.meter import ProgressMeter
from faceswap.service.processors.outputs import AttemptOutputs
from faceswap.service.queue.attempts import new_attempt_id
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.progress import PHOTO_STAGES, StagePlan
from faceswap.service.tasks.refs import read_input

logger = logging.getLogger(__name__)

T = TypeVar("T")
WorkKind = Literal["image", "video"]
CANCEL_WAIT_S = 30.0
"""How long a cancelled task waits for its thread to notice (video stops at the next frame batch)."""


@dataclass
class TaskRun:
    task_id: str
    task: TaskCreate
    worker: WorkerContext
    attempt: str = field(default_factory=new_attempt_id)
    """The attempt this run is (the job's ``meta.attempt_id``); outputs go under its own folder."""
    outputs: AttemptOutputs = field(init=False)
    cancelled: threading.Event = field(default_factory=threading.Event)
    abort_requested: bool = False
    """Set when the queue says the task was cancelled (not a time limit)."""
    fraction: float = 0.0
    meter: ProgressMeter = field(default_factory=ProgressMeter)
    """The stage and frames behind ``fraction`` (the progress detail the runner writes with it)."""
    plan: StagePlan = PHOTO_STAGES
    """Where each stage starts in ``fraction``: a photo's, until the processor finds a video."""

    def __post_init__(self) -> None:
        self.outputs = AttemptOutputs(self.worker.storage, self.task_id, self.attempt)

    def progress(self, fraction: float) -> None:
        """Records progress in [0, 1]; safe to call from any thread (pushed to the queue by the runner)."""
        self.fraction = min(1.0, max(self.fraction, fraction))

    def stage(self, stage: TaskStage) -> None:
        """Records what the task does now, and moves the progress to where ``plan`` starts that stage."""
        self.meter.stage(stage)
        start = self.plan.start(stage)
        if start is not None:
            self.progress(start)

    def frames(self, done: int, total: int) -> None:
        """Records ``done`` of ``total`` frames (a video); the progress follows within ``plan``."""
        self.meter.frames(done, total)
        self.progress(self.plan.frames_fraction(done, max(total, done)))

    def should_cancel(self) -> bool:
        return self.cancelled.is_set()

    @property
    def max_input_bytes(self) -> int:
        return self.worker.settings.limits.max_bytes

    def timeout_for(self, kind: WorkKind) -> float:
        service = self.worker.settings.service
        return float(service.video_timeout_s if kind == "video" else service.image_timeout_s)

    async def read(self, ref: str) -> bytes:
        return await read_input(self.worker.storage, ref, self.max_input_bytes, self.worker.settings.fetch)

    async def check(self, data: bytes, kind: MediaKind, what: str) -> MediaInfo:
        """``data``, a face input named ``what``, checked against ``settings.limits`` as ``kind`` (a video is
        probed, on a thread), and for room for a face (:func:`check_face_room`, its frames for a video):
        ``input_too_large``, ``unsupported_format``, ``unreadable_input`` or ``bad_input`` fail the task at
        once."""
        info = await asyncio.to_thread(check_media, data, kind, self.worker.settings.limits)
        check_face_room(info.width, info.height, what)
        return info

    async def in_thread(self, kind: WorkKind, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a thread within ``kind``'s time limit; stops it on cancel or timeout."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, functools.partial(fn, *args))
        timeout = self.timeout_for(kind)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self.cancelled.set()
            future.add_done_callback(_consume_outcome)
            raise TaskTimeoutError(f"the {kind} task ran longer than its limit of {timeout:g} s") from None
        except asyncio.CancelledError:
            self.cancelled.set()
            future.add_done_callback(_consume_outcome)
            await asyncio.wait([future], timeout=CANCEL_WAIT_S)
            raise


def _consume_outcome(future: asyncio.Future[Any]) -> None:
    """Reads a stopped work's outcome, which nobody awaits any more: its ``TaskCancelledError`` (or a
    failure while stopping) is expected, and asyncio would otherwise log it as never retrieved."""
    if not future.cancelled() and (error := future.exception()) is not None:
        logger.debug("stopped work ended with %s", error.__class__.__name__)


Processor = Callable[[TaskRun], Awaitable[dict[str, Any]]]
