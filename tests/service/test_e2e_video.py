"""End to end over HTTP with videos and separate worker processes: progress, cancel, a killed worker."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.live import Live, start_server, wait_status
from tests.video.videoclips import write_clip

DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 320x240 clip of a face, 40 frames (1.6 s), no audio."""
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", (320, 240), (40,) * 40, audio=False).path


@pytest.fixture
def api_only(tmp_path: Path) -> Iterator[Live]:
    """An API-only server; workers are separate ``faceswap worker`` processes with fast sweeps."""
    server = start_server(tmp_path / "data", workers=0, heartbeat_s="2", sweep_interval_s="1")
    try:
        yield server
    finally:
        server.stop()


def submit_video(client: httpx.Client, face: Path, clip: Path) -> str:
    created = client.post(
        "/api/video-swap",
        files={
            "source_image": (face.name, face.read_bytes()),
            "target_video": ("clip.mp4", clip.read_bytes()),
        },
    ).json()
    assert created["success"] is True, created
    return str(created["data"]["job_id"])


def progress_seen(client: httpx.Client, task_id: str, above: float, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while True:
        task = client.get(f"/api/tasks/{task_id}").json()["data"]
        assert task["status"] in ("PENDING", "PROCESSING"), task
        if task["progress"] > above:
            return float(task["progress"])
        assert time.monotonic() < deadline, "progress did not rise"
        time.sleep(0.05)


def test_video_progress_rises_then_cancel_stops_it(api_only: Live, clip: Path) -> None:
    from tests.service.conftest import ASTRONAUT

    with api_only.client() as client:
        queued = submit_video(client, ASTRONAUT, clip)  # no worker yet: cancelled while queued
        assert client.post(f"/api/cancel/{queued}").json()["data"]["status"] == "cancelled"
        api_only.start_worker()
        task_id = submit_video(client, ASTRONAUT, clip)
        first = progress_seen(client, task_id, 0.0)
        second = progress_seen(client, task_id, first)
        assert second > first
        asked = time.monotonic()
        assert client.post(f"/api/cancel/{task_id}").status_code == 200
        task = wait_status(client, task_id, DONE, timeout=10)
        assert task["status"] == "CANCELLED"
        # a worker polls for cancels every 0.2 s here and stops between frame batches: well under a second
        # alone, 2.03 s once under the full suite's load on 2 cores
        assert time.monotonic() - asked < 3.0
        assert task["result"] is None
        assert client.post(f"/api/cancel/{task_id}").status_code == 409
        never = client.get(f"/api/tasks/{queued}").json()["data"]
        assert never["status"] == "CANCELLED"
        assert never["attempts"] == 0  # it never started


def test_a_killed_worker_task_finishes_on_another(api_only: Live, clip: Path) -> None:
    from tests.service.conftest import GRACE

    doomed = api_only.start_worker()
    with api_only.client() as client:
        task_id = submit_video(client, GRACE, clip)
        progress_seen(client, task_id, 0.0)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        api_only.start_worker()
        task = wait_status(client, task_id, DONE, timeout=120)
        assert task["status"] == "COMPLETED", task
        assert task["attempts"] == 2
        video = client.get(task["result"]["output_url"])
        assert video.headers["content-type"] == "video/mp4"
        assert task["result"]["frames"] == 40


def test_sigterm_drains_the_queue_worker(api_only: Live, clip: Path) -> None:
    """SIGTERM: the worker takes no new task, finishes the running one and exits cleanly."""
    from tests.service.conftest import ASTRONAUT

    worker = api_only.start_worker()
    with api_only.client() as client:
        running = submit_video(client, ASTRONAUT, clip)
        progress_seen(client, running, 0.0)
        waiting = submit_video(client, ASTRONAUT, clip)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(90) == 0
        task = wait_status(client, running, DONE, timeout=5)
        assert task["status"] == "COMPLETED", task
        assert task["attempts"] == 1
        left = client.get(f"/api/tasks/{waiting}").json()["data"]
        assert left["status"] == "PENDING", "a draining worker takes no new task"
