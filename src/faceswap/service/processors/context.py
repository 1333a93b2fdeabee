"""``WorkerContext``: what a worker loads once and every task it runs shares (no module globals).

Engines are heavy (ONNX sessions, dlib models): each engine, enhancer and upscaler is loaded on first use
and kept for the worker's life. Engines are lent to a task for its duration (:meth:`WorkerContext.engine`,
:class:`~faceswap.service.processors.engines.EnginePool`): concurrent tasks share a thread-safe engine and
get an instance each of one that is not. Enhancers and landmarkers are ONNX sessions, shared; a lock
makes sure two concurrent tasks never load the same one twice.

The landmarker, the detector angles and the face classifier (for face filters) are per-task choices
applied to the lent engine per call (:func:`faceswap.engine.analysis.with_analysis`: a copy of the engine
sharing its sessions), not part of the pool's key: a pool keyed by them would load the same detector,
ArcFace and swapper once per combination. The classifier is loaded on the first task that has a filter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from faceswap.choices import (
    EngineName,
    EnhancerName,
    FaceParserName,
    LandmarkerName,
    OccluderName,
    UpscaleName,
)
from faceswap.config import Settings
from faceswap.engine.options import SwapOptions
from faceswap.errors import FaceswapError
from faceswap.models.registry import ModelRegistry
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.processors.engines import EnginePool
from faceswap.storage.base import Storage

if TYPE_CHECKING:
    from faceswap.engine.classify import FaceClassifier
    from faceswap.engine.mask_models import MaskModels
    from faceswap.engine.onnx.landmarker import FanLandmarker
    from faceswap.engine.pipeline import EnhancerStep
    from faceswap.engine.protocols import Engine
    from faceswap.engine.upscale import UpscaleStep

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WorkerContext:
    settings: Settings
    storage: Storage
    registry: ModelRegistry
    _engines: EnginePool = field(init=False)
    _enhancers: dict[str, EnhancerStep | None] = field(default_factory=dict)
    _mask_models: dict[str, Any] = field(default_factory=dict)
    _landmarkers: dict[str, FanLandmarker | None] = field(default_factory=dict)
    _upscalers: dict[str, UpscaleStep | None] = field(default_factory=dict)
    _classifiers: dict[str, FaceClassifier | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    """This process's metrics: tasks ended here, engine load times."""

    def __post_init__(self) -> None:
        self._engines = EnginePool(self._open_engine, on_load=self._loaded)

    @classmethod
    def from_settings(
        cls, settings: Settings, storage: Storage, metrics: ServiceMetrics | None = None
    ) -> WorkerContext:
        return cls(
            settings=settings,
            storage=storage,
            registry=ModelRegistry(settings.models_path),
            metrics=metrics or ServiceMetrics(),
        )

    def _loaded(self, name: str, seconds: float) -> None:
        self.metrics.engine_load_seconds.labels(name).observe(seconds)

    @contextmanager
    def engine(
        self,
        name: EngineName | None,
        landmarker: LandmarkerName | None = None,
        angles: Sequence[int] | None = None,
        classify: bool = False,
    ) -> Iterator[Engine]:
        """Engine ``name`` lent for the block, analysing with ``landmarker`` and detector ``angles`` (each
        the settings' default when None) and, with ``classify``, telling each face's traits (fairface,
        for face filters); blocking (loads on first use), call it on a thread. Use the engine only inside
        the block."""
        from faceswap.engine.analysis import with_analysis

        steps = self.landmarker(landmarker)
        classifier = self.classifier(classify)
        chosen = self.settings.engine.detector_angles if angles is None else angles
        with self._engines.lease(name or self.settings.engine.engine) as engine:
            yield with_analysis(engine, steps, chosen, classifier)

    def preload(self) -> bool:
        """Loads the default engine (``engine.engine``, with the default landmarker) into the pool, so the
        first task that asks for it gets it at once; blocking, call it on a thread. False, with a warning,
        when it cannot load (a missing model, say) or its loader breaks (a driver error): the worker starts
        anyway and the tasks that ask for the engine fail as they would have."""
        name = self.settings.engine.engine
        started = time.perf_counter()
        try:
            with self.engine(None):
                pass
        except FaceswapError as error:
            logger.warning("engine %s not loaded ahead of the tasks: %s: %s", name, error.code, error.message)
            return False
        except Exception:  # a loader's own failure (dlib, CUDA, memory): the tasks meet it, not the start
            logger.exception("engine %s not loaded ahead of the tasks", name)
            return False
        logger.info("engine %s loaded ahead of the tasks in %.1f s", name, time.perf_counter() - started)
        return True

    def engines_loaded(self, name: EngineName) -> int:
        """How many instances of engine ``name`` this context has loaded."""
        return self._engines.loaded(name)

    def _open_engine(self, name: EngineName) -> Engine:
        from faceswap.engine.factory import open_engine

        return open_engine(self.settings, name, self.registry.path, self.registry.is_installed)

    def mask_models(self, options: SwapOptions) -> MaskModels:
        """The loaded models ``options``' mask types need (each loaded once, on first use); blocking."""
        from faceswap.engine.factory import open_mask_model
        from faceswap.engine.mask_models import MaskModels

        def loaded(name: OccluderName | FaceParserName) -> Any:
            return self._cached(
                self._mask_models, name, lambda: open_mask_model(self.settings, name, self.registry.path)
            )

        return MaskModels(
            occluder=loaded(options.occluder) if "occlusion" in options.masks else None,
            parser=loaded(options.face_parser) if "region" in options.masks else None,
        )

    def enhancer(self, name: EnhancerName | None) -> EnhancerStep | None:
        """The loaded enhancer ``name`` (settings' default when None); blocking, call it on a thread."""
        from faceswap.engine.factory import open_enhancer

        wanted: EnhancerName = name or self.settings.engine.enhancer
        return self._cached(
            self._enhancers, wanted, lambda: open_enhancer(self.settings, wanted, self.registry.path)
        )

    def upscaler(self, name: UpscaleName | None) -> UpscaleStep | None:
        """The loaded frame enhancer ``name`` as an upscale step (settings' default when None; None for
        ``none``); blocking, call it on a thread."""
        from faceswap.engine.factory import open_upscaler

        wanted: UpscaleName = name or self.settings.engine.upscale
        return self._cached(
            self._upscalers, wanted, lambda: open_upscaler(self.settings, wanted, self.registry.path)
        )

    def landmarker(self, name: LandmarkerName | None) -> FanLandmarker | None:
        """The loaded landmarker ``name`` (settings' default when None); blocking, call it on a thread."""
        from faceswap.engine.analysis import open_landmarker

        wanted: LandmarkerName = name or self.settings.engine.landmarker
        return self._cached(
            self._landmarkers, wanted, lambda: open_landmarker(self.settings, wanted, self.registry.path)
        )

    def classifier(self, wanted: bool) -> FaceClassifier | None:
        """The loaded face classifier when ``wanted`` (else None); blocking, call it on a thread."""
        from faceswap.engine.analysis import open_classifier

        if not wanted:
            return None
        return self._cached(
            self._classifiers, "fairface", lambda: open_classifier(self.settings, True, self.registry.path)
        )

    def _cached(self, cache: dict[str, T], name: str, load: Callable[[], T]) -> T:
        """``cache[name]``, loaded by ``load`` on first use; a lock keeps two threads from loading it twice."""
        with self._lock:
            if name not in cache:
                cache[name] = load()
            return cache[name]
