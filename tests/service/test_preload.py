"""``service.preload_engine``: ``faceswap worker`` loads the default engine before its first task."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from faceswap.config import EngineSettings
from faceswap.service.processors.context import WorkerContext
from faceswap.service.queue import open_queue
from faceswap.service.worker.runner import build_worker
from faceswap.storage.open import storage_from_settings
from tests.service.helpers import service_settings


def context_for(tmp_path: Path, engine: str) -> WorkerContext:
    settings = service_settings(tmp_path).model_copy(
        update={"engine": EngineSettings(engine=engine, providers=["cpu"])}  # type: ignore[arg-type]
    )
    return WorkerContext.from_settings(settings, storage_from_settings(settings))


def test_preload_loads_the_default_engine_once_for_the_first_task(tmp_path: Path) -> None:
    context = context_for(tmp_path, "classic")
    assert context.engines_loaded("classic") == 0
    assert context.preload() is True
    assert context.engines_loaded("classic") == 1
    with context.engine(None) as engine:  # the first task gets the loaded one
        assert engine.name == "classic"
    assert context.engines_loaded("classic") == 1
    loads = context.metrics.engine_load_seconds.labels("classic")
    assert loads._sum.get() > 0  # the load was timed into the worker's metrics


def test_an_engine_that_cannot_load_is_logged_and_left_to_the_tasks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    context = context_for(tmp_path, "inswapper_128")  # no models under the data dir
    with caplog.at_level(logging.WARNING, "faceswap.service.processors.context"):
        assert context.preload() is False
    assert "engine inswapper_128 not loaded ahead of the tasks: model_missing" in caplog.text
    assert context.engines_loaded("inswapper_128") == 0


def test_a_loader_that_breaks_does_not_stop_the_worker_from_starting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = context_for(tmp_path, "classic")

    def broken(name: str) -> None:
        raise RuntimeError("CUDA failure 2: out of memory")

    monkeypatch.setattr(context._engines, "_load", broken)
    with caplog.at_level(logging.WARNING, "faceswap.service.processors.context"):
        assert context.preload() is False
    assert "engine classic not loaded ahead of the tasks" in caplog.text
    assert "CUDA failure 2" in caplog.text


@pytest.mark.parametrize("preload", [True, False])
async def test_a_preloading_worker_has_its_engine_before_it_takes_a_task(
    tmp_path: Path, preload: bool
) -> None:
    context = context_for(tmp_path, "classic")
    queue = open_queue("", name="preload", data_dir=tmp_path)
    await queue.connect()
    try:
        worker = build_worker(queue, context, handle_signals=False, preload=preload)
        for startup in worker.startup or []:
            await startup(worker.context)
        assert context.engines_loaded("classic") == (1 if preload else 0)
    finally:
        await queue.disconnect()
        await context.storage.aclose()
