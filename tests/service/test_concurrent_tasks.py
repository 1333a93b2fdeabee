"""Several swaps at once in one process: ``serve --workers 4``, ``worker --concurrency 4`` and ``engine-serve``
with ``ENGINE_SERVER__CONCURRENCY=4``, each under a burst of 20 tasks with the classic (dlib) and the neural
(ONNX stand-ins) engines: the process survives, and every task completes with the pixels that the same
swap gives when it runs alone."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from tests.cli.test_swap_neural import install_standins
from tests.engine_server.servers import Process, start_engine
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live, start_server, wait_status

BURST = 20
PAIRS = [(GRACE, ASTRONAUT), (ASTRONAUT, GRACE)]
"""(source, target): two swaps, alternated through the burst. The neural stand-in detector reports the
astronaut's face wherever it looks, so a neural burst uses the first pair only."""


def pixels(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def engine_env(data_dir: Path, engine: str) -> dict[str, str]:
    if engine == "classic":
        return {"FACESWAP_ENGINE__ENGINE": "classic"}
    install_standins(data_dir / "models", "identity")
    return {"FACESWAP_ENGINE__ENGINE": "inswapper_128"}


def pairs_for(engine: str) -> list[tuple[Path, Path]]:
    return PAIRS if engine == "classic" else PAIRS[:1]


def swap_by_task(client: httpx.Client, source: Path, target: Path) -> str:
    files = {
        "source_image": (source.name, source.read_bytes()),
        "target_image": (target.name, target.read_bytes()),
    }
    answer = client.post("/api/single-image-swap", files=files)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["job_id"])


def task_result(client: httpx.Client, task_id: str) -> np.ndarray:
    task = wait_status(client, task_id, {"COMPLETED", "FAILED", "CANCELLED"}, timeout=240)
    assert task["status"] == "COMPLETED", task
    result = task["result"]
    assert isinstance(result, dict), task
    assert result["faces_swapped"] == 1, task
    answer = client.get(f"/api/download/{result['file_id']}")
    assert answer.status_code == 200
    return pixels(answer.content)


def burst_through_queue(live: Live, engine: str) -> None:
    """One swap of each pair alone (the reference), then BURST at once: each equals its reference."""
    pairs = pairs_for(engine)
    with live.client() as client:
        alone = [task_result(client, swap_by_task(client, *pair)) for pair in pairs]
        ids = [swap_by_task(client, *pairs[i % len(pairs)]) for i in range(BURST)]
        for i, task_id in enumerate(ids):
            np.testing.assert_array_equal(task_result(client, task_id), alone[i % len(pairs)])
    assert live.process.poll() is None, live.log.read_text()[-3000:]
    for worker in live.workers:
        assert worker.poll() is None, live.log.read_text()[-3000:]


@pytest.fixture
def live_servers() -> Iterator[list[Live]]:
    started: list[Live] = []
    yield started
    for live in started:
        live.stop()


@pytest.mark.parametrize("engine", ["classic", "neural"])
def test_serve_with_four_in_process_workers(engine: str, tmp_path: Path, live_servers: list[Live]) -> None:
    live = start_server(tmp_path, workers=4, extra_env=engine_env(tmp_path, engine))
    live_servers.append(live)
    burst_through_queue(live, engine)


@pytest.mark.parametrize("engine", ["classic", "neural"])
def test_worker_with_concurrency_four(engine: str, tmp_path: Path, live_servers: list[Live]) -> None:
    live = start_server(tmp_path, workers=0, extra_env=engine_env(tmp_path, engine))
    live_servers.append(live)
    live.start_worker("--concurrency", "4")
    burst_through_queue(live, engine)


def data_url(path: Path) -> str:
    kind = "png" if path.suffix == ".png" else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


@pytest.mark.parametrize("engine", ["classic", "neural"])
def test_engine_serve_with_concurrency_four(engine: str, tmp_path: Path) -> None:
    env = {**engine_env(tmp_path, engine), "FACESWAP_ENGINE_SERVER__CONCURRENCY": "4"}
    service: Process = start_engine(tmp_path, **env)
    pairs = pairs_for(engine)

    def swap(pair: tuple[Path, Path]) -> np.ndarray:
        body = {"source_url": data_url(pair[0]), "target_url": data_url(pair[1])}
        answer = httpx.post(f"{service.url}/process", json=body, timeout=240)
        assert answer.status_code == 200, answer.text
        assert answer.json()["metadata"]["faces_swapped"] == 1
        download = httpx.get(answer.json()["output_path"], timeout=30)
        assert download.status_code == 200
        return pixels(download.content)

    try:
        alone = [swap(pair) for pair in pairs]
        with ThreadPoolExecutor(BURST) as pool:
            results = list(pool.map(swap, [pairs[i % len(pairs)] for i in range(BURST)]))
        for i, result in enumerate(results):
            np.testing.assert_array_equal(result, alone[i % len(pairs)])
        assert service.process.poll() is None, service.log.read_text()[-3000:]
    finally:
        service.stop()
