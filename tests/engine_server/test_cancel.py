"""Stopping a running ``faceswap engine-serve`` swap: ``POST /cancel/{id}``, a client that goes away, and a
task cancelled through the task API while the engine service runs its video swap."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from faceswap.engine_server.app import create_engine_app
from tests.comfyui.standin import serve
from tests.engine_server.servers import start_api, start_engine
from tests.service.conftest import ASTRONAUT
from tests.service.helpers import service_settings
from tests.service.live import wait_status
from tests.service.test_e2e_video import submit_video
from tests.video.videoclips import write_clip

FRAMES = 150
"""About 30 s of swapping with the classic engine on a 2-core machine: long enough to stop midway."""


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 320x240 clip of a face, 150 frames (6 s), no audio."""
    folder = tmp_path_factory.mktemp("long")
    return write_clip(folder / "long.mp4", (320, 240), (40,) * FRAMES, audio=False).path


@dataclass
class Engine:
    url: str
    data_dir: Path
    body: dict[str, str]


@pytest.fixture
def engine(tmp_path: Path, long_clip: Path) -> Iterator[Engine]:
    """The engine service on a loopback port, reading the clip and a face from a shared folder."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy(long_clip, shared / "target.mp4")
    shutil.copy(ASTRONAUT, shared / "source.png")
    settings = service_settings(tmp_path / "data")
    settings.engine_server.input_root = shared
    body = {"source_url": str(shared / "source.png"), "target_url": str(shared / "target.mp4")}
    with serve(create_engine_app(settings)) as url:
        yield Engine(url, settings.data_dir, body)


def busy(url: str) -> int:
    return int(httpx.get(f"{url}/health", timeout=10).json()["busy"])


def wait_busy(url: str, count: int, timeout: float) -> float:
    """Waits until the service runs ``count`` swaps; returns when it did (monotonic)."""
    deadline = time.monotonic() + timeout
    while busy(url) != count:
        assert time.monotonic() < deadline, f"the engine service never ran {count} swap(s)"
        time.sleep(0.05)
    return time.monotonic()


def wait_for_frames(log: Callable[[], str], timeout: float = 60) -> None:
    """Waits until the engine is loaded (a swap's first seconds may go to loading it), then a moment
    more, so the video's frames are being swapped."""
    deadline = time.monotonic() + timeout
    while "engine ready" not in log():
        assert time.monotonic() < deadline, "the engine never got ready"
        time.sleep(0.05)
    time.sleep(1.5)


def assert_nothing_written(data_dir: Path) -> None:
    """No result stored and no scratch file left (a video swap writes under DATA_DIR/tmp first)."""
    files = [p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file()]
    assert [f for f in files if "results" in f.parts or f.parts[0] == "tmp"] == []


def test_cancel_stops_a_running_video_swap_frees_its_slot_and_stores_nothing(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    named = {"X-Request-Id": "task-1.try-1"}
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            httpx.post, f"{engine.url}/process", json=engine.body, headers=named, timeout=120
        )
        wait_busy(engine.url, 1, 60)
        wait_for_frames(lambda: caplog.text)
        twice = httpx.post(f"{engine.url}/process", json=engine.body, headers=named, timeout=10)
        assert twice.status_code == 409
        assert twice.json()["error"]["code"] == "conflict"
        asked = time.monotonic()
        cancel = httpx.post(f"{engine.url}/cancel/task-1.try-1", timeout=10)
        assert cancel.status_code == 202, cancel.text
        assert cancel.json() == {"request_id": "task-1.try-1", "status": "cancelling"}
        answer = running.result(60)
        stopped_after = time.monotonic() - asked
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "cancelled"
    assert stopped_after < 10  # at the next frame batch, not after the ~30 s the whole clip takes
    assert busy(engine.url) == 0
    assert "cancelled; stopping" in caplog.text
    assert "video swapped" not in caplog.text
    assert_nothing_written(engine.data_dir)
    # it is no longer running: nothing to cancel, and the id may be used again
    assert httpx.post(f"{engine.url}/cancel/task-1.try-1", timeout=10).status_code == 404


def test_cancel_of_a_request_that_is_not_running_is_refused(engine: Engine) -> None:
    unknown = httpx.post(f"{engine.url}/cancel/nothing-here", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert httpx.post(f"{engine.url}/cancel/a%20b", timeout=10).status_code == 422
    bad = httpx.post(f"{engine.url}/process", json=engine.body, headers={"X-Request-Id": "a/b"}, timeout=10)
    assert bad.status_code == 422


def test_a_client_that_goes_away_stops_its_swap(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    impatient = httpx.Timeout(30, read=8)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(httpx.post, f"{engine.url}/process", json=engine.body, timeout=impatient)
        wait_busy(engine.url, 1, 60)
        wait_for_frames(lambda: caplog.text)
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and hangs up
            running.result(60)
    gave_up = time.monotonic()
    freed = wait_busy(engine.url, 0, 15)
    assert freed - gave_up < 10
    assert "its client went away; stopping" in caplog.text
    assert "video swapped" not in caplog.text
    assert_nothing_written(engine.data_dir)


def test_a_task_cancelled_through_the_api_stops_the_engine_service_swap(
    tmp_path: Path, long_clip: Path
) -> None:
    engine = start_engine(tmp_path / "engine")
    api = start_api(tmp_path / "api", engine.url)
    try:
        with httpx.Client(base_url=api.url, timeout=60) as client:
            task_id = submit_video(client, ASTRONAUT, long_clip)
            wait_busy(engine.url, 1, 60)
            wait_for_frames(engine.log.read_text)
            asked = time.monotonic()
            assert client.post(f"/api/cancel/{task_id}").status_code == 200
            task = wait_status(client, task_id, {"COMPLETED", "FAILED", "CANCELLED"}, timeout=10)
            assert task["status"] == "CANCELLED"
            assert time.monotonic() - asked < 2.0
            assert task["result"] is None
            freed = wait_busy(engine.url, 0, 15)  # the engine service stopped that swap
            assert freed - asked < 10
    finally:
        api.stop()
        engine.stop()
    log = engine.log.read_text()
    assert "POST /cancel/" in log  # the worker told the engine service, not only hung up
    assert "; stopping" in log  # (told by the cancel, or by the closed connection, whichever came first)
    assert "video swapped" not in log
    assert_nothing_written(tmp_path / "engine")
