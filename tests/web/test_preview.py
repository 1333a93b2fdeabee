"""The "Preview" button in the browser: one frame of a video (picked with the slider, by keyboard) or the
photo, swapped and shown before anything starts; no task is created."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.test_preview import CLIP_SIZE, code_of, write_code_clip


@pytest.fixture(scope="module")
def numbered_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 frames at 10 fps (1.2 s), each with its number as the grey level of a corner block."""
    return write_code_clip(tmp_path_factory.mktemp("preview") / "numbered.mp4")


def shown_image(page: Any) -> np.ndarray[Any, Any]:
    src = str(page.locator(".preview-image").get_attribute("src"))
    prefix = "data:image/jpeg;base64,"
    assert src.startswith(prefix)
    return np.asarray(
        Image.open(io.BytesIO(base64.b64decode(src[len(prefix) :]))).convert("RGB"), dtype=np.int16
    )


def no_tasks(page: Any) -> None:
    assert page.locator(".task").count() == 0  # nothing in the panel
    with page.context.new_page() as other:  # nor on the server
        assert other.request.get("/api/tasks").json()["data"]["total"] == 0


def test_a_video_frame_picked_with_the_slider_is_previewed(
    page: Any, shots: Any, numbered_clip: Path
) -> None:
    page.goto("/#/video")
    page.set_input_files("input[name=source]", str(GRACE))
    page.set_input_files("input[name=target]", str(numbered_clip))
    slider = page.get_by_label("Frame to preview")
    page.wait_for_function("() => !document.querySelector('input[name=preview_time]').disabled")
    slider.focus()
    page.keyboard.press("End")  # 1.1 s: the last frame
    assert slider.input_value() == "1.1"
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    assert slider.input_value() == "0.7"
    assert slider.get_attribute("aria-valuetext") == "0.7 s of 1.2 s"
    page.keyboard.press("Tab")  # the Preview button is next in the tab order
    button = page.get_by_role("button", name="Preview", exact=True)
    assert button.evaluate("b => b === document.activeElement")
    page.keyboard.press("Enter")
    page.locator(".preview-image").wait_for(timeout=60_000)
    facts = page.locator(".preview-facts")
    assert facts.get_attribute("data-frame") == "7"
    assert facts.inner_text().startswith("Preview at 0.7 s: 1 of 1 face changed")
    page.wait_for_function(
        "() => document.getElementById('announcer').textContent.startsWith('Preview ready at 0.7 s')"
    )
    image = shown_image(page)
    assert image.shape == (CLIP_SIZE[1], CLIP_SIZE[0], 3)
    assert code_of(image) == pytest.approx(7, abs=0.2)  # frame 7, the one the slider chose
    assert page.locator(".preview-image").get_attribute("alt") == "Preview of the swap at 0.7 s"
    shots(page, "video-preview")
    no_tasks(page)
    # removing the video drops its preview and turns the slider off
    page.locator(".dropzone[data-name=target]").get_by_role("button", name="Remove").click()
    assert page.locator(".preview-image").count() == 0
    assert slider.is_disabled()


def test_a_photo_is_previewed_and_errors_are_explained(page: Any) -> None:
    page.goto("/#/photo")
    button = page.get_by_role("button", name="Preview", exact=True)
    button.click()  # nothing picked yet: said in words, nothing sent
    assert "Pick a photo of the face to use." in page.locator(".preview-status [role=alert]").inner_text()
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    assert page.get_by_label("Frame to preview").count() == 0  # no slider for a photo
    button.click()
    page.locator(".preview-image").wait_for(timeout=60_000)
    assert page.locator(".preview-facts").inner_text().startswith("Preview: 1 of 1 face changed")
    swapped = shown_image(page).mean(axis=2)
    original = np.asarray(Image.open(GRACE).convert("RGB"), dtype=np.int16).mean(axis=2)
    assert swapped.shape == original.shape
    changed = np.abs(swapped - original) > 24
    assert changed[130:340, 175:360].mean() > 0.05  # the face changed
    assert changed[:100].mean() < 0.01  # the rest did not
    # an engine that is not installed: the server's refusal in plain words
    page.select_option("select[name=model]", "inswapper_128")
    button.click()
    alert = page.locator(".preview-status [role=alert]")
    alert.wait_for()
    assert alert.get_attribute("data-code") == "model_missing"
    assert page.locator(".preview-image").count() == 0
    no_tasks(page)
