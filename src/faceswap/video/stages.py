"""Threads and bounded queues between pipeline stages, with one abort flag they all watch.

A blocked ``put``/``get`` wakes up every ``POLL_S`` to look at the flag, so when one stage fails (or
the caller cancels) every other stage returns promptly and can be joined: no thread is left hanging.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

POLL_S = 0.05


class _End:
    """Marks the end of a channel's items."""


_END = _End()


class Channel(Generic[T]):
    """A bounded FIFO from one stage to the next; ``None`` from ``get`` means closed or aborted."""

    def __init__(self, maxsize: int, abort: threading.Event) -> None:
        self._queue: queue.Queue[T | _End] = queue.Queue(maxsize=maxsize)
        self._abort = abort
        self._ended = False

    def put(self, item: T) -> bool:
        """Waits for room; False when the pipeline was aborted meanwhile (the item is dropped)."""
        return self._put(item)

    def close(self) -> bool:
        """Tells the consumer no more items come; False when aborted."""
        return self._put(_END)

    def get(self) -> T | None:
        """The next item, or None once the channel is closed (and drained) or the pipeline aborted."""
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

    def _put(self, item: T | _End) -> bool:
        while not self._abort.is_set():
            try:
                self._queue.put(item, timeout=POLL_S)
            except queue.Full:
                continue
            return True
        return False


class Stage(threading.Thread):
    """Runs ``work`` in its own thread; an exception is kept in ``error`` and aborts the pipeline."""

    def __init__(self, name: str, work: Callable[[], None], abort: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self._work = work
        self._abort = abort
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._work()
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            self.error = exc
            self._abort.set()
