"""Remote workers over HTTP, end to end: an API-only server (SQLite queue, no workers of its own) and
``faceswap worker --api URL --token T`` processes that reach it only over HTTP, each with a data
directory of its own (no queue, no storage)."""

from __future__ import annotations

import io
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import FACESWAP, Live, service_env, start_server, wait_status
from tests.service.test_e2e_video import progress_seen, submit_video
from tests.video.videoclips import write_clip

TOKEN = "remote-worker-test-token"
DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 320x240 clip of a face, 60 frames, no audio."""
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", (320, 240), (40,) * 60, audio=False).path


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Live]:
    """An API-only server with worker routes, 5 s leases and a 1 s sweep (short enough for the killed
    worker's lease to run out within the test, long enough that a worker loading the classic engine on a
    loaded 2-core machine, its event loop starved for a few seconds, keeps its lease)."""
    server = start_server(
        tmp_path / "api",
        workers=0,
        worker_tokens=f"other-token,{TOKEN}",
        heartbeat_s="5",
        sweep_interval_s="1",
    )
    try:
        yield server
    finally:
        server.stop()


def start_remote(live: Live, data_dir: Path, token: str = TOKEN) -> subprocess.Popen[bytes]:
    """``faceswap worker --api URL --token T`` with a data directory of its own."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = service_env(data_dir)
    with (data_dir / "worker.log").open("ab") as log:
        worker = subprocess.Popen(
            [str(FACESWAP), "-v", "worker", "--api", live.url, "--token", token, "--name", data_dir.name],
            env=env,
            stdout=log,
            stderr=log,
        )
    live.workers.append(worker)
    return worker


def submit_image(client: httpx.Client) -> str:
    created = client.post(
        "/api/single-image-swap",
        files={
            "source_image": ("a.png", ASTRONAUT.read_bytes()),
            "target_image": ("g.jpg", GRACE.read_bytes()),
        },
    ).json()
    assert created["success"] is True, created
    return str(created["data"]["job_id"])


def test_remote_worker_runs_an_image_task(api: Live, tmp_path: Path) -> None:
    remote_dir = tmp_path / "remote-a"
    start_remote(api, remote_dir)
    with api.client() as client:
        task_id = submit_image(client)
        task = wait_status(client, task_id, DONE, timeout=120)
        assert task["status"] == "COMPLETED", task["error"]
        assert task["attempts"] == 1
        download = client.get(task["result"]["output_url"])
        assert download.status_code == 200
        assert download.headers["content-type"] == "image/jpeg"
        result = np.asarray(Image.open(io.BytesIO(download.content)).convert("L"), dtype=np.int16)
        original = np.asarray(Image.open(GRACE).convert("L"), dtype=np.int16)
        assert result.shape == original.shape
        changed = np.abs(result - original) > 24
        assert changed[130:340, 175:360].mean() > 0.05  # the face was swapped
        assert changed[:100].mean() < 0.01
    # the result went through the API into the API's storage; the remote worker kept no copy
    assert list(Path(api.env["FACESWAP_DATA_DIR"]).rglob(f"results/{task_id}/*/output.jpg"))
    assert not list(remote_dir.rglob("output.*"))
    log = (remote_dir / "worker.log").read_text()
    assert f"task {task_id}: completed" in log
    # the default engine was loaded before the first lease (service.preload_engine)
    assert -1 < log.find("engine classic loaded ahead of the tasks") < log.find(f"task {task_id}: leased")


def test_cancel_reaches_the_remote_worker_mid_video(api: Live, tmp_path: Path, clip: Path) -> None:
    remote_dir = tmp_path / "remote-b"
    start_remote(api, remote_dir)
    with api.client() as client:
        task_id = submit_video(client, ASTRONAUT, clip)
        first = progress_seen(client, task_id, 0.0)
        progress_seen(client, task_id, first)  # heartbeats carry rising progress
        asked = time.monotonic()
        assert client.post(f"/api/cancel/{task_id}").status_code == 200
        task = wait_status(client, task_id, DONE, timeout=10)
        assert task["status"] == "CANCELLED"
        assert time.monotonic() - asked < 2.0
        assert task["result"] is None
        # the worker stopped that task and is free for the next one
        after = wait_status(client, submit_image(client), DONE, timeout=120)
        assert after["status"] == "COMPLETED", after["error"]
    log = (remote_dir / "worker.log").read_text()
    assert f"task {task_id}: cancel seen; stopping" in log
    assert f"task {task_id}: completed" not in log


def test_a_killed_remote_worker_lease_returns_the_task_to_the_queue(
    api: Live, tmp_path: Path, clip: Path
) -> None:
    doomed = start_remote(api, tmp_path / "doomed")
    with api.client() as client:
        task_id = submit_video(client, GRACE, clip)
        progress_seen(client, task_id, 0.0)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        pending = wait_status(client, task_id, {"PENDING", *DONE}, timeout=20)
        assert pending["status"] == "PENDING"  # the lease expired: back in the queue, not failed
        rescuer = tmp_path / "rescuer"
        start_remote(api, rescuer)
        task = wait_status(client, task_id, DONE, timeout=120)
        assert task["status"] == "COMPLETED", task
        assert task["attempts"] == 2
        video = client.get(task["result"]["output_url"])
        assert video.headers["content-type"] == "video/mp4"
        assert task["result"]["frames"] == 60
    assert f"task {task_id}: completed" in (rescuer / "worker.log").read_text()


def test_a_remote_worker_failure_reaches_the_task_with_its_code(api: Live, tmp_path: Path) -> None:
    start_remote(api, tmp_path / "remote-c")
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), (90, 140, 200)).save(blank, format="PNG")
    with api.client() as client:
        created = client.post(
            "/api/single-image-swap",
            files={
                "source_image": ("blank.png", blank.getvalue()),
                "target_image": ("g.jpg", GRACE.read_bytes()),
            },
        ).json()
        task = wait_status(client, created["data"]["job_id"], DONE, timeout=120)
    assert task["status"] == "FAILED"
    assert task["error"]["code"] == "no_face_in_source"
    assert task["attempts"] == 1  # not transient: not retried


def test_sigterm_lets_the_remote_worker_finish_its_task(api: Live, tmp_path: Path, clip: Path) -> None:
    worker = start_remote(api, tmp_path / "remote-d")
    with api.client() as client:
        task_id = submit_video(client, ASTRONAUT, clip)
        progress_seen(client, task_id, 0.0)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0
        task = wait_status(client, task_id, DONE, timeout=5)
        assert task["status"] == "COMPLETED", task
        assert task["attempts"] == 1
