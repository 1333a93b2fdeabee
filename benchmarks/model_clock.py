"""Time spent inside ONNX sessions' ``run``, to take model time out of a pipeline's cost.

``ModelClock.wrap(session)`` replaces one session's ``run`` with a timed one (wall and calling-thread CPU
milliseconds add up in ``ms`` and ``cpu_ms``); :func:`outside` is the median wall time of a call minus
its time in the wrapped sessions. For every session at once, with named stages, see ``host_time.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


class ModelClock:
    """Milliseconds inside the wrapped sessions' ``run``: wall time and the calling thread's CPU time."""

    def __init__(self, *sessions: Any) -> None:
        self.ms = 0.0
        self.cpu_ms = 0.0
        for session in sessions:
            self.wrap(session)

    def reset(self) -> None:
        self.ms = self.cpu_ms = 0.0

    def wrap(self, session: Any) -> None:
        run = session.run

        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return run(*args, **kwargs)
            finally:
                self.ms += (time.perf_counter() - start) * 1000.0
                self.cpu_ms += (time.thread_time() - cpu) * 1000.0

        session.run = timed


def outside(call: Callable[[], object], clock: ModelClock, warmup: int, repeat: int) -> float:
    """Median wall milliseconds of ``call`` minus its time in the clock's sessions."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        clock.reset()
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000.0 - clock.ms)
    return statistics.median(samples)
