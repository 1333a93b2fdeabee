"""The result page's tools: the compare slider on the picture (its thumb on the divider, a drag on the
picture moves it, the whole original or result at a click, a group photo starting on the whole result), the
before and after videos played and seeked together, and "Copy link" (result page and panel)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live, wait_status
from tests.video.videoclips import write_clip
from tests.web.pages import open_with, swap_task, upload

GEOMETRY = """() => {
    document.querySelector(".compare-frame").scrollIntoView({ block: "end" });
    const image = document.querySelector(".compare-after").getBoundingClientRect();
    const slider = document.querySelector(".compare-slider").getBoundingClientRect();
    return { left: image.left, width: image.width, sliderTop: slider.top, sliderHeight: slider.height,
             sliderLeft: slider.left, sliderWidth: slider.width };
}"""


@pytest.fixture(scope="module")
def photo_task(live: Live) -> str:
    with live.client() as client:
        return swap_task(client, ASTRONAUT, GRACE)


@pytest.fixture(scope="module")
def video_task(live: Live, tmp_path_factory: pytest.TempPathFactory) -> str:
    clip = write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", (160, 120), (40,) * 60, audio=False).path
    with live.client() as client:
        wf = {"source_url": upload(client, ASTRONAUT), "target_url": upload(client, clip), "model": "classic"}
        created = client.post(
            "/api/tasks/create", json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
        )
        task_id = str(created.json()["data"]["taskId"])
        assert wait_status(client, task_id, {"COMPLETED", "FAILED"}, timeout=120)["status"] == "COMPLETED"
    return task_id


@pytest.fixture
def result_page(context: Any, photo_task: str) -> Iterator[Any]:
    entry = {"id": photo_task, "kind": "photo", "title": "Grace", "status": "COMPLETED"}
    page = open_with(context, [entry], f"/#/task/{photo_task}")
    page.locator(".compare-after").wait_for()
    page.wait_for_function("document.querySelector('.compare-after').complete")
    yield page
    assert not page.errors


def pos(page: Any) -> str:
    return str(page.locator(".compare-stage").evaluate("e => e.style.getPropertyValue('--pos')"))


def thumb_centre(page: Any, box: dict[str, float]) -> float:
    """Where the slider's thumb is drawn: the middle of the accent-coloured columns of its row."""
    clip = {
        "x": box["sliderLeft"],
        "y": box["sliderTop"],
        "width": box["sliderWidth"],
        "height": box["sliderHeight"],
    }
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"), dtype=np.int16)
    accent = np.array([0x24, 0x56, 0xD6])
    columns = np.flatnonzero((np.abs(shot - accent).sum(axis=2) < 60).any(axis=0))
    assert columns.size, "no thumb drawn"
    return float(box["sliderLeft"] + (columns.min() + columns.max() + 1) / 2)


def test_the_slider_thumb_sits_on_the_divider(result_page: Any) -> None:
    page = result_page
    box = page.evaluate(GEOMETRY)
    assert box["width"] > 200
    slider = page.get_by_label("Slide to compare")
    for value in (0, 25, 100):
        slider.fill(str(value))
        assert pos(page) == f"{value}%"
        expected = box["left"] + box["width"] * value / 100
        assert abs(thumb_centre(page, box) - expected) <= 2, value


def test_dragging_on_the_picture_moves_the_divider(result_page: Any) -> None:
    page = result_page
    box = page.evaluate(GEOMETRY)
    y = box["sliderTop"] - 40  # on the picture, just above the slider
    page.mouse.move(box["left"] + box["width"] * 0.2, y)
    page.mouse.down()
    assert pos(page) == "20%"
    page.mouse.move(box["left"] + box["width"] * 0.7, y, steps=5)
    page.mouse.up()
    assert pos(page) == "70%"
    assert page.get_by_label("Slide to compare").input_value() == "70"
    page.mouse.move(box["left"] + box["width"] * 0.1, y)  # no button held: nothing moves
    assert pos(page) == "70%"


def test_the_whole_original_or_result_at_a_click(result_page: Any, shots: Any) -> None:
    page = result_page
    whole = page.locator(".compare-whole")
    assert whole.inner_text() == "Show the original"
    whole.click()
    assert pos(page) == "100%"
    assert (whole.inner_text(), whole.get_attribute("aria-pressed")) == ("Show the result", "true")
    whole.click()
    assert pos(page) == "0%"
    assert whole.get_attribute("aria-pressed") == "false"
    page.get_by_label("Slide to compare").fill("40")
    shots(page, "photo-result-compare", full_page=False)


def test_a_group_result_starts_on_the_whole_result(context: Any, photo_task: str) -> None:
    entry = {"id": photo_task, "kind": "group", "title": "Group", "status": "COMPLETED"}
    page = open_with(context, [entry], f"/#/task/{photo_task}")
    page.locator(".compare-stage").wait_for()
    assert pos(page) == "0%"
    assert page.get_by_label("Slide to compare").input_value() == "0"


def test_copy_link_on_the_result_page_and_in_the_panel(context: Any, live: Live, photo_task: str) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    entry = {"id": photo_task, "kind": "photo", "title": "Grace", "status": "COMPLETED"}
    page = open_with(context, [entry], f"/#/task/{photo_task}")
    link = f"{live.url}/#/task/{photo_task}"
    button = page.locator("main").get_by_role("button", name="Copy link to Grace")
    button.click()
    expect(button).to_have_text("Copied")  # set once the clipboard write resolves
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.evaluate("navigator.clipboard.writeText('')")
    page.goto("/#/photo")  # the panel's own button, from another page
    row = page.locator(f".task[data-task-id='{photo_task}']")
    row.get_by_role("button", name="Copy link to Grace").click()
    expect(row.locator(".copy-link")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.wait_for_function(
        f"document.querySelector(\".task[data-task-id='{photo_task}'] .copy-link\").textContent === 'Copy link'"
    )
    assert not page.errors


def test_the_two_videos_play_pause_and_seek_together(context: Any, video_task: str) -> None:
    entry = {"id": video_task, "kind": "video", "title": "Clip", "status": "COMPLETED"}
    page = open_with(context, [entry], f"/#/task/{video_task}")
    videos = page.locator(".video-compare video")
    videos.nth(1).wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('.video-compare video')].every((v) => v.readyState >= 1)"
    )
    page.evaluate("document.querySelectorAll('.video-compare video').forEach((v) => { v.muted = true; })")
    both = "[...document.querySelectorAll('.video-compare video')]"
    page.evaluate(f"{both}[1].play()")  # the result
    page.wait_for_function(f"{both}.every((v) => !v.paused)")
    page.evaluate(f"{both}[0].pause()")  # the original
    page.wait_for_function(f"{both}.every((v) => v.paused)")
    page.evaluate(f"{both}[1].currentTime = 1.5")
    page.wait_for_function(f"Math.abs({both}[0].currentTime - 1.5) < 0.06")
    page.evaluate(f"{both}[0].currentTime = 0.4")
    page.wait_for_function(f"Math.abs({both}[1].currentTime - 0.4) < 0.06")
    assert not page.errors
