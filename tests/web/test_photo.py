"""A photo swap in the browser: pick files, start, follow, see the comparison, download; and errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.web.conftest import PHONE


def test_photo_swap_from_pick_to_download(page: Any, shots: Any, tmp_path: Path) -> None:
    shots(page, "photo-empty")
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.select_option("select[name=model]", "classic")
    page.select_option("select[name=output_format]", "png")
    shots(page, "photo-ready")
    page.get_by_role("button", name="Swap the face").click()
    page.wait_for_url("**/#/task/*")
    result = page.locator("section.result")
    result.wait_for(timeout=60_000)
    task_id = page.url.rsplit("/", 1)[1]
    # the panel lists the task as done, with its result
    row = page.locator(f".task[data-task-id='{task_id}']")
    assert row.get_attribute("data-status") == "COMPLETED"
    assert page.locator("[data-fact=engine]").inner_text() == "classic"
    assert page.locator("[data-fact='processing time']").inner_text().endswith("s")
    # the slider moves the boundary between the original and the result
    slider = page.get_by_label("Slide to compare")
    slider.focus()
    page.keyboard.press("Home")
    assert page.locator(".compare-stage").evaluate("e => e.style.getPropertyValue('--pos')") == "0%"
    slider.fill("60")
    shots(page, "photo-result")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the result").click()
    assert info.value.suggested_filename == "grace_hopper-swapped.png"  # named after the target
    saved = tmp_path / "result.png"
    info.value.save_as(saved)
    swapped = np.asarray(Image.open(saved).convert("L"), dtype=np.int16)
    original = np.asarray(Image.open(GRACE).convert("L"), dtype=np.int16)
    assert Image.open(saved).format == "PNG"  # the chosen output format
    assert swapped.shape == original.shape
    changed = np.abs(swapped - original) > 24
    assert changed[130:340, 175:360].mean() > 0.05  # the face changed
    assert changed[:100].mean() < 0.01  # the rest did not
    page.set_viewport_size(PHONE)
    shots(page, "photo-result-phone", full_page=False)


def blank_photo(path: Path) -> Path:
    """A photo of a gradient: no face anywhere."""
    ramp = np.linspace(0, 255, 320, dtype=np.uint8)
    image = np.dstack(
        [np.tile(ramp, (240, 1)), np.tile(ramp[::-1], (240, 1)), np.full((240, 320), 90, np.uint8)]
    )
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_photo_with_no_face_shows_what_to_do(page: Any, shots: Any, tmp_path: Path) -> None:
    page.set_input_files("input[name=source]", str(blank_photo(tmp_path / "landscape.jpg")))
    page.set_input_files("input[name=target]", str(GRACE))
    page.get_by_role("button", name="Swap the face").click()
    alert = page.locator("main [role=alert]")
    alert.wait_for(timeout=60_000)
    assert alert.get_attribute("data-code") == "no_face_in_source"
    assert "No face was found in the face photo" in alert.inner_text()
    assert "well-lit photo" in alert.inner_text()  # what to do next
    row = page.locator(".task").first
    assert row.get_attribute("data-status") == "FAILED"
    assert "No face was found" in row.locator(".task-error").inner_text()
    shots(page, "photo-error")


def test_missing_inputs_are_explained_before_anything_is_sent(page: Any) -> None:
    page.get_by_role("button", name="Swap the face").click()
    alert = page.locator("main [role=alert]")
    assert "Pick a photo of the face to use" in alert.inner_text()
    assert page.locator(".task").count() == 0


def test_without_server_sent_events_the_panel_polls(context: Any) -> None:
    context.add_init_script("delete window.EventSource")
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("typeof EventSource") == "undefined"
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.get_by_role("button", name="Swap the face").click()
    page.locator("section.result").wait_for(timeout=60_000)
    assert page.locator(".task").first.get_attribute("data-status") == "COMPLETED"
