"""``EnginePool``: loaded engines lent to the tasks of one worker process, safely across threads.

Tasks of one process run concurrently on threads (``serve --workers N``, ``worker --concurrency N``,
``engine-serve`` with ``engine_server.concurrency``). What an engine allows is its own declaration,
:attr:`faceswap.engine.protocols.Engine.thread_safe`:

- a thread-safe engine (the ONNX engines: ONNX Runtime sessions may run from several threads at once,
  and their scratch state is per thread) is loaded once and every lease gets that one instance;
- any other engine (the classic engine: dlib's detector, shape predictor and ResNet crash the process
  when two threads call one instance at once) is lent to one task at a time. A lease takes an idle
  instance or loads a new one, so the pool holds at most as many instances of it as tasks ever ran it
  at once (about 90 MB and 1.4 s of loading each for the classic engine).

Loading runs under a per-name lock, so concurrent first uses load a shared engine once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from faceswap.choices import EngineName

if TYPE_CHECKING:
    from faceswap.engine.protocols import Engine

logger = logging.getLogger(__name__)


@dataclass
class _Kind:
    """The instances of one engine name: the shared one, or the exclusive ones not lent out."""

    loading: threading.Lock = field(default_factory=threading.Lock)
    shared: Engine | None = None
    idle: list[Engine] = field(default_factory=list)
    loaded: int = 0


class EnginePool:
    """Engines by name, loaded by ``load`` on first use and lent out with :meth:`lease`."""

    def __init__(
        self,
        load: Callable[[EngineName], Engine],
        on_load: Callable[[str, float], None] = lambda name, seconds: None,
    ) -> None:
        self._load = load
        self._on_load = on_load
        """Told each load's engine name and seconds (metrics)."""
        self._lock = threading.Lock()
        self._kinds: dict[EngineName, _Kind] = {}

    @contextmanager
    def lease(self, name: EngineName) -> Iterator[Engine]:
        """Engine ``name`` for the caller's use until the block ends; blocking (loads on first use), so
        call it on a thread. An engine that is not thread-safe is used by no other lease meanwhile."""
        kind = self._kind(name)
        engine = self._take(name, kind)
        try:
            yield engine
        finally:
            if not engine.thread_safe:
                with self._lock:
                    kind.idle.append(engine)

    def loaded(self, name: EngineName) -> int:
        """How many instances of ``name`` are loaded."""
        with self._lock:
            kind = self._kinds.get(name)
            return kind.loaded if kind else 0

    def _kind(self, name: EngineName) -> _Kind:
        with self._lock:
            return self._kinds.setdefault(name, _Kind())

    def _ready(self, kind: _Kind) -> Engine | None:
        with self._lock:
            if kind.shared is not None:
                return kind.shared
            return kind.idle.pop() if kind.idle else None

    def _take(self, name: EngineName, kind: _Kind) -> Engine:
        if (engine := self._ready(kind)) is not None:
            return engine
        with kind.loading:
            if (engine := self._ready(kind)) is not None:
                return engine
            logger.info("loading engine %s", name)
            started = time.monotonic()
            engine = self._load(name)
            seconds = time.monotonic() - started
            logger.info("engine %s loaded in %.2f s", engine.name, seconds)
            self._on_load(engine.name, seconds)
            with self._lock:
                kind.loaded += 1
                if engine.thread_safe:
                    kind.shared = engine
                elif kind.loaded > 1:
                    logger.info(
                        "engine %s is not thread-safe: %d instances for concurrent tasks", name, kind.loaded
                    )
            return engine
