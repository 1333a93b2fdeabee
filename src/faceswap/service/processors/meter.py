"""``ProgressMeter``: a running task's stage and frames as its work reports them, read as a detail.

The work (on a thread) reports a stage or its frames; the watcher (on the event loop) reads
:meth:`ProgressMeter.detail` when it writes the progress. A lock keeps the two consistent.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from faceswap.choices import TaskStage
from faceswap.service.tasks.progress import (
    RATE_WINDOW_S,
    ProgressDetail,
    Sample,
    eta_seconds,
    frame_rate,
    window,
)

MAX_SAMPLES = 256
"""Samples kept at most (a window's worth is far fewer for any real frame rate)."""


class ProgressMeter:
    """Stage and frame samples of one task attempt; ``clock`` is a monotonic clock in seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, window_s: float = RATE_WINDOW_S) -> None:
        self._clock = clock
        self._window_s = window_s
        self._lock = threading.Lock()
        self._stage: TaskStage | None = None
        self._samples: deque[Sample] = deque(maxlen=MAX_SAMPLES)
        self._total: int | None = None

    def stage(self, stage: TaskStage) -> None:
        with self._lock:
            self._stage = stage

    def frames(self, done: int, total: int) -> None:
        """Records that ``done`` of ``total`` frames are done now."""
        with self._lock:
            self._total = max(total, done)
            self._samples.append((self._clock(), done))
            recent = window(list(self._samples), self._window_s)
            while len(self._samples) > len(recent):
                self._samples.popleft()

    def detail(self) -> ProgressDetail:
        with self._lock:
            samples = list(self._samples)
            stage, total = self._stage, self._total
        if not samples:
            return ProgressDetail(stage=stage)
        done = samples[-1][1]
        fps = frame_rate(samples, self._window_s)
        eta = eta_seconds(done, total, fps)
        return ProgressDetail(
            stage=stage,
            frames_done=done,
            frames_total=total,
            fps=None if fps is None else round(fps, 2),
            eta_s=None if eta is None else round(eta, 1),
        )
