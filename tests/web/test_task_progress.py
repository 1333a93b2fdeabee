"""Progress in words in the task panel and on the task page: the place in line of a waiting task, a
video's frames, rate and time left, a photo's stage; updated live as the task moves on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import ASTRONAUT
from tests.video.videoclips import write_clip
from tests.web.test_retry import open_with

TASK_ID = "0123456789abcdef0123456789abcdef"


def task_json(**changes: Any) -> dict[str, Any]:
    task = {
        "taskId": TASK_ID,
        "workflow": "face_swap",
        "environment": "face_swap",
        "params": {"input_data": {"wf_json": {"source_url": "a", "target_url": "b"}}},
        "status": "PENDING",
        "progress": 0.0,
        "result": None,
        "error": None,
        "attempts": 0,
        "retries": 0,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
        "webhook": None,
        "stage": None,
        "frames_done": None,
        "frames_total": None,
        "fps": None,
        "eta_s": None,
        "queue_position": None,
    }
    return {**task, **changes}


def detail_of(page: Any) -> Any:
    return page.locator(f".task[data-task-id='{TASK_ID}'] .task-detail")


def test_panel_and_task_page_say_place_in_line_frames_rate_time_left_and_stage(context: Any) -> None:
    """The server's answers are stepped by the test (the events stream is refused, so the page polls)."""
    answer = {"task": task_json(queue_position=3)}

    def serve_task(route: Any) -> None:
        route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"success": True, "data": answer["task"]}),
        )

    context.route(f"**/api/tasks/{TASK_ID}/events", lambda route: route.abort())
    context.route(f"**/api/tasks/{TASK_ID}", serve_task)
    entry = {"id": TASK_ID, "kind": "video", "title": "Video swap", "status": "PENDING", "progress": 0}
    page = open_with(context, [entry])
    detail = detail_of(page)
    detail.filter(has_text="Queued: 3rd in line").wait_for()

    answer["task"] = task_json(queue_position=1)
    detail.filter(has_text="Queued: 1st in line").wait_for()

    answer["task"] = task_json(
        status="PROCESSING",
        progress=0.24,
        stage="swapping",
        frames_done=120,
        frames_total=600,
        fps=24.0,
        eta_s=20.0,
    )
    detail.filter(has_text="Swapping frame 120 of 600 \u00b7 24 fps \u00b7 about 20 s left").wait_for()
    row = page.locator(f".task[data-task-id='{TASK_ID}']")
    assert row.locator("progress").get_attribute("value") == "24"

    page.goto(f"/#/task/{TASK_ID}")  # the task's own page says the same
    page.locator("main .task-detail", has_text="Swapping frame 120 of 600").wait_for()

    answer["task"] = task_json(
        status="PROCESSING",
        progress=0.9,
        stage="swapping",
        frames_done=590,
        frames_total=600,
        fps=6.5,
        eta_s=150,
    )
    page.locator(
        "main .task-detail", has_text="Swapping frame 590 of 600 \u00b7 6.5 fps \u00b7 about 3 min left"
    ).wait_for()

    answer["task"] = task_json(status="PROCESSING", progress=0.15, stage="detecting")  # a photo: its stage
    page.locator("main .task-detail", has_text="Finding faces").wait_for()
    assert detail.inner_text() == "Finding faces"

    answer["task"] = task_json(
        status="COMPLETED", progress=1.0, result={"kind": "image", "output_url": "/x.png"}
    )
    page.wait_for_selector(f".task[data-task-id='{TASK_ID}'][data-status=COMPLETED]")
    assert detail.is_hidden()
    assert not page.errors


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 160x120 clip of a face, 100 frames: long enough to read its progress and queue a photo behind it."""
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", (160, 120), (40,) * 100, audio=False).path


def test_live_video_shows_frames_and_a_photo_behind_it_its_place(page: Any, shots: Any, clip: Path) -> None:
    page.goto("/#/video")
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(clip))
    page.get_by_role("button", name="Swap the face in the video").click()
    page.wait_for_url("**/#/task/*")
    video_id = page.url.rsplit("/", 1)[1]
    video = page.locator(f".task[data-task-id='{video_id}'] .task-detail")
    video.filter(
        has_text=re.compile(r"Swapping frame \d+ of 100 \u00b7 [\d.]+ fps \u00b7 about .+ left")
    ).wait_for(timeout=90_000)

    page.goto("/#/photo")  # the one worker is busy: a photo waits behind the video
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(ASTRONAUT))
    page.get_by_role("button", name="Swap the face").click()
    page.wait_for_url("**/#/task/*")
    photo_id = page.url.rsplit("/", 1)[1]
    assert photo_id != video_id
    page.locator(f".task[data-task-id='{photo_id}'] .task-detail", has_text="Queued: 1st in line").wait_for()
    page.locator("main .task-detail", has_text="Queued: 1st in line").wait_for()
    shots(page, "task-progress-queued")
    page.wait_for_selector(f".task[data-task-id='{photo_id}'][data-status=COMPLETED]", timeout=120_000)
    assert page.locator(f".task[data-task-id='{video_id}']").get_attribute("data-status") == "COMPLETED"
