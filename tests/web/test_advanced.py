"""The Advanced options in the browser: they reach the task's parameters only when changed, and an engine
that cannot honour them says so in plain words."""

from __future__ import annotations

import json
from typing import Any

from tests.service.conftest import ASTRONAUT, GRACE


def capture_creations(page: Any) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []

    def remember(route: Any) -> None:
        bodies.append(json.loads(route.request.post_data))
        route.continue_()

    page.route("**/api/tasks/create", remember)
    return bodies


def pick_photos(page: Any) -> None:
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.select_option("select[name=model]", "classic")


def test_advanced_options_are_sent_only_when_changed(page: Any, shots: Any) -> None:
    bodies = capture_creations(page)
    pick_photos(page)
    page.get_by_role("button", name="Swap the face").click()
    page.wait_for_url("**/#/task/*")
    wf = bodies[0]["params"]["input_data"]["wf_json"]
    for key in (
        "pixel_boost",
        "swapper_weight",
        "mask_types",
        "mask_blur",
        "keep_mouth",
        "enhancer_blend",
        "enhancer_weight",
        "upscale",
        "upscale_blend",
        "landmarker",
        "detector_angles",
    ):
        assert key not in wf


def test_advanced_options_reach_the_task_and_a_refusal_is_shown(page: Any, shots: Any) -> None:
    bodies = capture_creations(page)
    pick_photos(page)
    page.get_by_text("Advanced").click()
    page.select_option("select[name=pixel_boost]", "512")
    page.get_by_label("Identity strength").fill("0.6")
    page.get_by_label("Keep the original mouth (needs face landmarks)").check()
    page.get_by_label("Also find faces turned sideways or upside down").check()
    shots(page, "photo-advanced")
    page.get_by_role("button", name="Swap the face").click()
    alert = page.locator("main [role=alert]")
    alert.wait_for(timeout=60_000)
    wf = bodies[0]["params"]["input_data"]["wf_json"]
    assert wf["pixel_boost"] == "512"
    assert wf["swapper_weight"] == 0.6
    assert wf["keep_mouth"] is True
    assert wf["detector_angles"] == [0, 90, 180, 270]
    assert "mask_types" not in wf  # the box alone is the default
    assert alert.get_attribute("data-code") == "bad_option"  # the classic engine has no pixel boost
    assert "classic engine has no pixel boost" in alert.text_content()  # the server's words, in Details


def test_upscale_and_codeformer_fidelity_reach_the_task(page: Any, shots: Any) -> None:
    bodies = capture_creations(page)
    pick_photos(page)
    page.get_by_text("Advanced").click()
    upscale = page.locator("select[name=upscale]")
    values = upscale.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert values == [
        "none",
        "real_esrgan_x2",
        "real_esrgan_x2_fp16",
        "real_esrgan_x4",
        "real_esrgan_x4_fp16",
        "span_kendata_x4",
    ]
    assert upscale.input_value() == "none"
    page.select_option("select[name=upscale]", "real_esrgan_x2")
    page.get_by_label("Upscale blend").fill("0.5")
    page.get_by_label("CodeFormer fidelity").fill("0.3")
    shots(page, "photo-advanced-upscale")
    page.get_by_role("button", name="Swap the face").click()
    page.locator("main [role=alert]").wait_for(timeout=60_000)  # this server has no frame enhancer
    wf = bodies[0]["params"]["input_data"]["wf_json"]
    assert wf["upscale"] == "real_esrgan_x2"
    assert wf["upscale_blend"] == 0.5
    assert wf["enhancer_weight"] == 0.3
