"""Video tasks in the browser: cancelled from the task panel; followed again after a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import ASTRONAUT
from tests.video.videoclips import write_clip
from tests.web.conftest import PHONE


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 320x240 clip of a moving face, 150 frames: long enough to stop it half way."""
    return write_clip(tmp_path_factory.mktemp("clip") / "long.mp4", (320, 240), (40,) * 150, audio=False).path


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 160x120 clip, 60 frames: finishes in a few seconds."""
    return write_clip(tmp_path_factory.mktemp("clip") / "short.mp4", (160, 120), (40,) * 60, audio=False).path


def start_video(page: Any, clip: Path) -> str:
    page.goto("/#/video")
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(clip))
    page.get_by_role("button", name="Swap the face in the video").click()
    page.wait_for_url("**/#/task/*")
    return str(page.url.rsplit("/", 1)[1])


def progress_of(row: Any) -> int:
    return int(row.locator("progress").get_attribute("value") or 0)


def test_video_cancelled_from_the_panel(page: Any, shots: Any, long_clip: Path) -> None:
    task_id = start_video(page, long_clip)
    row = page.locator(f".task[data-task-id='{task_id}']")
    page.wait_for_function(
        f"() => Number(document.querySelector(\".task[data-task-id='{task_id}'] progress\")?.value) > 0",
        timeout=60_000,
    )
    assert row.get_attribute("data-status") == "PROCESSING"
    shots(page, "video-progress")
    row.get_by_role("button", name="Stop").click()
    page.wait_for_selector(f".task[data-task-id='{task_id}'][data-status=CANCELLED]", timeout=30_000)
    assert row.locator(".task-status").inner_text() == "Stopped"
    assert row.get_by_role("button", name="Stop").count() == 0
    # the task view says so too, as a state rather than an error, with what to do next
    assert "Stopped" in page.locator("main .stopped[role=status]").inner_text()
    assert page.locator("main").get_by_role("button", name="Try again").count() == 1
    with page.context.new_page() as other:  # the server agrees
        answer = other.request.get(f"/api/tasks/{task_id}").json()
        assert answer["data"]["status"] == "CANCELLED"
    shots(page, "video-cancelled")


def test_reload_mid_task_keeps_following_it(page: Any, shots: Any, short_clip: Path) -> None:
    task_id = start_video(page, short_clip)
    page.goto("/#/photo")  # leave the task's own page: only the panel follows it
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    row = page.locator(f".task[data-task-id='{task_id}']")
    assert row.count() == 1  # kept in localStorage
    page.wait_for_selector(f".task[data-task-id='{task_id}'][data-status=COMPLETED]", timeout=90_000)
    assert row.get_by_role("link", name="Download").count() == 1
    row.get_by_role("link", name="View result").click()
    page.locator("section.result video").first.wait_for()
    assert page.locator(".video-compare video").count() == 2
    assert page.locator("[data-fact=frames]").inner_text() == "60"
    page.get_by_role("button", name="One at a time").click()
    assert page.locator(".video-compare figure:visible").count() == 1
    shots(page, "video-result")
    page.set_viewport_size(PHONE)
    shots(page, "video-result-phone", full_page=False)
