"""Threads and bounded queues between pipeline stages, with one abort flag they all watch.

A blocked ``put``/``get`` wakes up every ``POLL_S`` to look at the flag, so when one stage fails (or
the caller cancels) every other stage returns promptly and can be joined: no thread is left hanging.
Each channel counts the seconds its producer waited for room and its consumer waited for an item, and
each stage the wall and CPU seconds of its thread, so a run tells which stage bounds it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

POLL_S = 0.05


class _End:
    """Marks the end of a channel's items."""


_END = _End()


class Channel(Generic[T]):
    """A bounded FIFO from one stage to the next; ``None`` from ``get`` means closed or aborted.

    ``put_wait_s``: seconds the producer waited for room (the consumer is slower); ``get_wait_s``:
    seconds the consumer waited for an item (the producer is slower).
    """

    def __init__(self, maxsize: int, abort: threading.Event) -> None:
        self._queue: queue.Queue[T | _End] = queue.Queue(maxsize=maxsize)
        self._abort = abort
        self._ended = False
        self.maxsize = maxsize
        self.put_wait_s = 0.0
        self.get_wait_s = 0.0

    def put(self, item: T) -> bool:
        """Waits for room; False when the pipeline was aborted meanwhile (the item is dropped)."""
        return self._put(item)

    def close(self) -> bool:
        """Tells the consumer no more items come; False when aborted."""
        return self._put(_END)

    def get(self) -> T | None:
        """The next item, or None once the channel is closed (and drained) or the pipeline aborted."""
        started = time.perf_counter()
        try:
            while not self._ended and not self._abort.is_set():
                try:
                    item = self._queue.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if isinstance(item, _End):
                    self._ended = True
                    return None
                return item
            return None
        finally:
            self.get_wait_s += time.perf_counter() - started

    def _put(self, item: T | _End) -> bool:
        started = time.perf_counter()
        try:
            while not self._abort.is_set():
                try:
                    self._queue.put(item, timeout=POLL_S)
                except queue.Full:
                    continue
                return True
            return False
        finally:
            self.put_wait_s += time.perf_counter() - started


@dataclass(frozen=True)
class StageTime:
    """Where one stage's thread spent a run: ``wall_s`` from start to end, ``cpu_s`` of CPU time (its
    own thread's, native work included; an encoder's or decoder's worker threads not), ``wait_s`` blocked
    on its channels. ``cpu_s / (wall_s - wait_s)`` near 1: the thread computes on one core the whole time
    it works (in Python under the GIL, or in native code); well below 1: it waits on something else
    (the GIL held by another thread, its codec's worker threads, a device)."""

    stage: str
    wall_s: float
    cpu_s: float
    wait_s: float

    @property
    def busy_s(self) -> float:
        """Seconds the stage was not blocked on a channel."""
        return max(0.0, self.wall_s - self.wait_s)

    def as_dict(self) -> dict[str, float | str]:
        return {
            "stage": self.stage,
            "wall_s": round(self.wall_s, 3),
            "busy_s": round(self.busy_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "wait_s": round(self.wait_s, 3),
        }


class Clock:
    """Wall and CPU seconds of the thread that made it, up to :meth:`stop`."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.thread_time()
        self.wall_s = 0.0
        self.cpu_s = 0.0

    def stop(self) -> None:
        """Called in the same thread that made the clock."""
        self.wall_s = time.perf_counter() - self._wall
        self.cpu_s = time.thread_time() - self._cpu


class Stage(threading.Thread):
    """Runs ``work`` in its own thread; an exception is kept in ``error`` and aborts the pipeline."""

    def __init__(self, name: str, work: Callable[[], None], abort: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self._work = work
        self._abort = abort
        self.error: BaseException | None = None
        self.wall_s = 0.0
        self.cpu_s = 0.0

    def run(self) -> None:
        clock = Clock()
        try:
            self._work()
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            self.error = exc
            self._abort.set()
        finally:
            clock.stop()
            self.wall_s, self.cpu_s = clock.wall_s, clock.cpu_s
