"""A task being stopped says so everywhere (no second stop from the task page while the panel says
"Stopping…"); a stopped task is a neutral "Stopped" on its page, not an error, with "Try again" there too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.service.live import Live, wait_status
from tests.video.videoclips import write_clip
from tests.web.test_video import start_video


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "long.mp4", (320, 240), (40,) * 150, audio=False).path


def test_stopping_then_stopped_then_try_again(page: Any, live: Live, shots: Any, long_clip: Path) -> None:
    task_id = start_video(page, long_clip)
    row = page.locator(f".task[data-task-id='{task_id}']")
    page.wait_for_function(
        f"() => Number(document.querySelector(\".task[data-task-id='{task_id}'] progress\")?.value) > 0",
        timeout=60_000,
    )
    held: list[Any] = []
    # asked, not yet answered (Playwright tags its handler: a bound method will not do)
    page.route("**/api/tasks/*/cancel", lambda route: held.append(route))  # noqa: PLW0108
    row.get_by_role("button", name=re.compile("^Stop ")).click()
    own_stop = page.locator("main .progress-block button.stop")
    page.wait_for_function("document.querySelector('main .progress-block button.stop').disabled")
    assert own_stop.inner_text() == "Stopping\u2026"
    assert row.locator("button.stop").is_disabled()
    assert row.locator("button.stop").inner_text() == "Stopping\u2026"
    assert page.locator("main .task-state").inner_text().startswith("Stopping")
    assert held
    held[0].continue_()
    page.wait_for_selector(f".task[data-task-id='{task_id}'][data-status=CANCELLED]", timeout=30_000)
    stopped = page.locator("main .stopped[role=status]")
    stopped.wait_for()
    assert "Stopped" in stopped.inner_text()
    assert page.locator("main [role=alert]").count() == 0  # not shown as an error
    shots(page, "video-stopped")
    stopped.get_by_role("button", name="Try again").click()
    page.locator("main .progress-block").wait_for(timeout=10_000)
    assert row.get_attribute("data-status") in ("PENDING", "PROCESSING")
    with live.client() as client:  # stop it again: the worker is wanted by the next tests
        client.post(f"/api/tasks/{task_id}/cancel")
        assert wait_status(client, task_id, {"CANCELLED", "FAILED", "COMPLETED"})["status"] == "CANCELLED"
        assert client.get(f"/api/tasks/{task_id}").json()["data"]["retries"] == 1
