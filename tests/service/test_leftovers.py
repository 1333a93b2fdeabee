"""What killed work leaves behind is swept when the API or a worker starts, and nothing in use is.

Leftovers are made the way a kill makes them (a process SIGKILLed while it writes a storage object or
holds a task's scratch folder) or by hand with old times; fresh temporary files (a write that may be in
progress) and the scratch folder of a live task stay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceswap.service.api.app import create_app
from faceswap.service.scratch import scratch_root, sweep_scratch, task_scratch
from tests.service import killed_work
from tests.service.helpers import service_settings
from tests.service.live import FACESWAP, service_env

HOURS_AGO = 2 * 3600.0


def age(path: Path, seconds: float) -> None:
    """Sets the times of ``path`` and of everything in it to ``seconds`` ago."""
    then = time.time() - seconds
    for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(item, (then, then), follow_symlinks=False)


def touch(path: Path, data: bytes = b"x", seconds_ago: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if seconds_ago:
        age(path, seconds_ago)
    return path


@pytest.fixture
def killed_scratch(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """The scratch folder of a task whose process still runs (``kill`` it to make a leftover)."""
    ready = tmp_path / "scratch-ready"
    holder = subprocess.Popen(killed_work.start("scratch", tmp_path, "t-held", ready))
    try:
        folder = Path(killed_work.wait_ready(ready, lambda: holder.poll() is None))
        yield folder, holder
    finally:
        holder.kill()
        holder.wait(30)


def test_a_live_tasks_scratch_folder_is_kept_however_old_and_goes_once_its_process_is_killed(
    tmp_path: Path, killed_scratch: tuple[Path, subprocess.Popen[bytes]]
) -> None:
    folder, holder = killed_scratch
    assert folder.name.startswith("task-t-held-")
    age(folder, HOURS_AGO)  # a long video task: its input was written hours ago
    root = scratch_root(tmp_path)
    assert sweep_scratch(root, time.time()) == 0
    assert (folder / "input.mp4").exists()

    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    assert folder.exists()  # nobody deletes it on a kill
    assert sweep_scratch(root, time.time()) == 1  # at once: a restart right after the kill sweeps it
    assert list(root.iterdir()) == []


def test_a_scratch_sweep_removes_unlocked_task_folders_and_other_entries_past_their_age(
    tmp_path: Path,
) -> None:
    root = scratch_root(tmp_path)
    touch(root / "task-t1-abc" / "output.mp4")  # a task folder nobody holds: killed, goes at once
    touch(root / "tmpk2j3.video", seconds_ago=HOURS_AGO)  # a stale loose file: goes
    age(touch(root / "other" / "x.bin").parent, HOURS_AGO)  # a stale folder of something else: goes
    kept = [
        touch(root / ".new-task-t2-def" / "input.mp4").parent,  # being created: it is not locked yet
        touch(root / "tmp9x8y.video"),  # a fresh loose file
        touch(root / "recent" / "x.bin", seconds_ago=600).parent,  # not a task's: an hour to go
    ]
    with task_scratch(root, "t3") as working:
        assert working.name.startswith("task-t3-")
        touch(working / "input.mp4")
        age(working, HOURS_AGO)
        assert sweep_scratch(root, time.time()) == 3
        assert working.exists()  # locked by this live task
    assert not working.exists()
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in kept)
    assert sweep_scratch(tmp_path / "no-such-folder", time.time()) == 0


def killed_put(tmp_path: Path, key: str) -> Path:
    """The temporary file a local storage put SIGKILLed mid-write leaves for ``key``."""
    root = tmp_path / "files"
    ready = tmp_path / "put-ready"
    writer = subprocess.Popen(killed_work.start("put", root, key, ready))
    try:
        killed_work.wait_ready(ready, lambda: writer.poll() is None)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    folder, name = (root / key).parent, (root / key).name
    (temp,) = [p for p in folder.iterdir() if p.name.startswith(f".{name}.")]
    return temp


def make_leftovers(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """Stale leftovers (a killed put, a killed task's scratch folder) and fresh files that must stay."""
    killed = killed_put(tmp_path, "results/t-1/a1/output.mp4")
    age(killed, HOURS_AGO)
    orphan = touch(tmp_path / "files" / "uploads" / ".gone.png.meta.json", seconds_ago=HOURS_AGO)
    scratch = touch(scratch_root(tmp_path) / "task-t-1-x1y2" / "input.mp4").parent
    age(scratch, HOURS_AGO)
    fresh = [
        touch(tmp_path / "files" / "results" / "t-2" / "a1" / ".output.mp4.inflight.tmp"),
        touch(scratch_root(tmp_path) / "tmpfresh.video"),
    ]
    return [killed, orphan, scratch], fresh


def test_the_api_sweeps_stale_leftovers_at_start_up(tmp_path: Path) -> None:
    stale, fresh = make_leftovers(tmp_path)
    assert all(path.exists() for path in stale)
    settings = service_settings(tmp_path)
    with TestClient(create_app(settings, workers=0)) as client:
        assert client.get("/api/health").status_code in (200, 503)
        assert [path for path in stale if path.exists()] == []
        assert [path for path in fresh if not path.exists()] == []
    assert not (tmp_path / "files" / "results" / "t-1").exists()  # emptied folders go too


def test_a_worker_sweeps_stale_leftovers_when_it_starts(tmp_path: Path) -> None:
    stale, fresh = make_leftovers(tmp_path)
    env = service_env(tmp_path)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([str(FACESWAP), "-v", "worker"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while any(path.exists() for path in stale):
            assert worker.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"leftovers still there:\n{log.read_text()[-3000:]}"
            time.sleep(0.05)
        assert [path for path in fresh if not path.exists()] == []
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def test_a_videos_first_frame_for_face_detection_is_read_in_a_task_folder_that_goes_after(
    tmp_path: Path,
) -> None:
    from faceswap.service.processors.detect import _first_frame
    from tests.video.videoclips import write_clip

    clip = write_clip(tmp_path / "clip.mp4", size=(160, 120), frame_ms=(40,) * 3, audio=False)
    root = scratch_root(tmp_path / "data")
    frame = _first_frame(clip.path.read_bytes(), root, "t-detect")
    assert frame.shape[:2] == (120, 160)
    assert list(root.iterdir()) == []
