"""EnginePool: a thread-safe engine is loaded once and shared; any other is lent to one lease at a time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from faceswap.choices import EngineName
from faceswap.engine.protocols import Engine
from faceswap.service.processors.engines import EnginePool


class Loader:
    """Builds engines whose ``thread_safe`` is given; counts loads; each load takes a little while."""

    def __init__(self, thread_safe: bool) -> None:
        self.thread_safe = thread_safe
        self.loads = 0
        self._lock = threading.Lock()

    def __call__(self, name: EngineName) -> Engine:
        threading.Event().wait(0.05)
        with self._lock:
            self.loads += 1
        dummy: Any = object()
        return Engine(name="classic", analyser=dummy, swapper=dummy, models=(), thread_safe=self.thread_safe)


def lease_together(pool: EnginePool, count: int) -> list[Engine]:
    """``count`` leases held at the same time (each waits for all the others before letting go)."""
    barrier = threading.Barrier(count)

    def hold(_: int) -> Engine:
        with pool.lease("classic") as engine:
            barrier.wait(timeout=10)
            return engine

    with ThreadPoolExecutor(count) as threads:
        return list(threads.map(hold, range(count)))


def test_concurrent_leases_of_an_unsafe_engine_get_an_instance_each() -> None:
    loader = Loader(thread_safe=False)
    pool = EnginePool(loader)
    held = lease_together(pool, 4)
    assert len({id(engine) for engine in held}) == 4
    assert loader.loads == pool.loaded("classic") == 4


def test_an_unsafe_engine_is_reused_once_given_back() -> None:
    loader = Loader(thread_safe=False)
    pool = EnginePool(loader)
    with pool.lease("classic") as first:
        pass
    with pool.lease("classic") as second:
        assert second is first
    lease_together(pool, 3)
    assert loader.loads == 3  # the first instance plus two more for the three at once


def test_an_unsafe_engine_is_never_lent_twice_at_once() -> None:
    pool = EnginePool(Loader(thread_safe=False))
    in_use: set[int] = set()
    lock = threading.Lock()
    clashes = []

    def task(_: int) -> None:
        with pool.lease("classic") as engine:
            with lock:
                if id(engine) in in_use:
                    clashes.append(engine)
                in_use.add(id(engine))
            threading.Event().wait(0.005)
            with lock:
                in_use.discard(id(engine))

    with ThreadPoolExecutor(6) as threads:
        list(threads.map(task, range(60)))
    assert clashes == []
    assert pool.loaded("classic") <= 6


def test_a_thread_safe_engine_is_loaded_once_and_shared() -> None:
    loader = Loader(thread_safe=True)
    pool = EnginePool(loader)
    held = lease_together(pool, 4)
    assert len({id(engine) for engine in held}) == 1
    assert loader.loads == pool.loaded("classic") == 1
