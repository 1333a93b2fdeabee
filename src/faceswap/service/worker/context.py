"""``WorkerContext``: what a worker loads once and every task it runs shares (no module globals).

Engines are heavy (ONNX sessions, dlib models): each (engine, enhancer) pair is loaded on first use
and kept for the worker's life. Loading runs on a thread, guarded by a lock so two concurrent tasks
never load the same engine twice.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from faceswap.choices import EngineName, EnhancerName
from faceswap.config import Settings
from faceswap.models.registry import ModelRegistry
from faceswap.storage.base import Storage

if TYPE_CHECKING:
    from faceswap.engine.pipeline import EnhancerStep
    from faceswap.engine.protocols import Engine

logger = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    settings: Settings
    storage: Storage
    registry: ModelRegistry
    _engines: dict[str, Engine] = field(default_factory=dict)
    _enhancers: dict[str, EnhancerStep | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    background: set[asyncio.Task[bool]] = field(default_factory=set)
    """Webhook deliveries in flight; awaited when the worker stops."""

    @classmethod
    def from_settings(cls, settings: Settings, storage: Storage) -> WorkerContext:
        return cls(settings=settings, storage=storage, registry=ModelRegistry(settings.models_path))

    def engine(self, name: EngineName | None) -> Engine:
        """The loaded engine ``name`` (settings' default when None); blocking, call it on a thread."""
        from faceswap.engine.factory import open_engine

        wanted: EngineName = name or self.settings.engine.engine
        with self._lock:
            if wanted not in self._engines:
                logger.info("loading engine %s", wanted)
                self._engines[wanted] = open_engine(
                    self.settings, wanted, self.registry.path, self.registry.is_installed
                )
            return self._engines[wanted]

    def enhancer(self, name: EnhancerName | None) -> EnhancerStep | None:
        """The loaded enhancer ``name`` (settings' default when None); blocking, call it on a thread."""
        from faceswap.engine.factory import open_enhancer

        wanted: EnhancerName = name or self.settings.engine.enhancer
        with self._lock:
            if wanted not in self._enhancers:
                self._enhancers[wanted] = open_enhancer(self.settings, wanted, self.registry.path)
            return self._enhancers[wanted]
