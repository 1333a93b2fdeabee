"""Progress users can read, over HTTP with a live server and a worker process: a waiting task's place in
line moves up as the one before it starts, and a video's events carry its frames, frame rate and a time
left that falls as it goes; the legacy status shows the same."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import ASTRONAUT
from tests.service.live import Live, start_server, wait_status
from tests.video.videoclips import write_clip

FRAMES = 100
DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 160x120 clip of a face, 100 frames: some seconds of work, long enough for a rate."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return write_clip(path, (160, 120), (40,) * FRAMES, audio=False).path


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 160x120 clip, 10 frames: the task that waits."""
    path = tmp_path_factory.mktemp("clip") / "short.mp4"
    return write_clip(path, (160, 120), (40,) * 10, audio=False).path


@pytest.fixture
def api_only(tmp_path: Path) -> Iterator[Live]:
    server = start_server(tmp_path / "data", workers=0)
    try:
        yield server
    finally:
        server.stop()


def submit_video(client: httpx.Client, clip: Path) -> str:
    created = client.post(
        "/api/video-swap",
        files={
            "source_image": (ASTRONAUT.name, ASTRONAUT.read_bytes()),
            "target_video": ("clip.mp4", clip.read_bytes()),
        },
    ).json()
    assert created["success"] is True, created
    return str(created["data"]["job_id"])


class Events(threading.Thread):
    """Reads a task's server-sent events until the stream ends."""

    def __init__(self, url: str, task_id: str) -> None:
        super().__init__(daemon=True)
        self.url, self.task_id = url, task_id
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.opened = threading.Event()

    def run(self) -> None:
        with (
            httpx.Client(base_url=self.url, timeout=120) as client,
            client.stream("GET", f"/api/tasks/{self.task_id}/events") as stream,
        ):
            self.opened.set()
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.seen.append((name, json.loads(line.removeprefix("data: "))))


def follow(live: Live, task_id: str) -> Events:
    events = Events(live.url, task_id)
    events.start()
    assert events.opened.wait(10)
    return events


def test_place_in_line_then_frames_rate_and_time_left(api_only: Live, clip: Path, short_clip: Path) -> None:
    with api_only.client() as client:
        first, second = submit_video(client, clip), submit_video(client, short_clip)
        # nothing runs yet: both wait, in the order they came
        one = client.get(f"/api/tasks/{first}").json()["data"]
        two = client.get(f"/api/tasks/{second}").json()["data"]
        assert (one["status"], one["queue_position"]) == ("PENDING", 1)
        assert (two["status"], two["queue_position"]) == ("PENDING", 2)
        assert (one["stage"], one["frames_done"], one["eta_s"]) == (None, None, None)
        legacy = client.get(f"/api/status/{second}").json()["data"]
        assert (legacy["status"], legacy["queue_position"]) == ("pending", 2)
        listed = {t["taskId"]: t for t in client.get("/api/tasks").json()["data"]["tasks"]}
        assert (listed[first]["queue_position"], listed[second]["queue_position"]) == (1, 2)

        events = {task_id: follow(api_only, task_id) for task_id in (first, second)}
        api_only.start_worker()  # one task at a time
        for task_id in (first, second):
            assert wait_status(client, task_id, DONE, timeout=240)["status"] == "COMPLETED"
        for reader in events.values():
            reader.join(10)
        legacy = client.get(f"/api/status/{second}").json()["data"]
        assert (legacy["queue_position"], legacy["eta_s"], legacy["frames_done"]) == (None, None, None)

    # the second task's place in line: 2 while the first waited, 1 once the first started
    waiting = [data["queue_position"] for name, data in events[second].seen if name == "pending"]
    assert waiting[0] == 2
    assert waiting[-1] == 1
    assert sorted(set(waiting), reverse=True) == [2, 1]
    assert waiting == sorted(waiting, reverse=True)

    # the first task's events: frames rising to the total, a rate, and a time left that falls
    seen = events[first].seen
    assert seen[0][0] == "pending"
    assert seen[0][1]["queue_position"] == 1
    assert seen[-1][0] == "completed"
    assert seen[-1][1]["queue_position"] is None
    assert (seen[-1][1]["eta_s"], seen[-1][1]["stage"]) == (None, None)
    running = [data for name, data in seen if name == "processing"]
    assert all(data["queue_position"] is None for data in running)
    stages = [data["stage"] for data in running]
    assert "swapping" in stages
    framed = [data for data in running if data["frames_done"] is not None]
    assert len(framed) >= 3, running
    done = [data["frames_done"] for data in framed]
    assert done == sorted(done)
    assert done[-1] > done[0]
    assert {data["frames_total"] for data in framed} == {FRAMES}
    progress = [data["progress"] for data in running]
    assert progress == sorted(progress)
    timed = [data for data in framed if data["eta_s"] is not None]
    assert len(timed) >= 2, framed
    for data in timed:
        assert data["fps"] > 0
        left = (data["frames_total"] - data["frames_done"]) / data["fps"]
        assert data["eta_s"] == pytest.approx(left, rel=0.01, abs=0.2)
    assert timed[-1]["eta_s"] < timed[0]["eta_s"]
