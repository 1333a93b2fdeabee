"""The face order and filters in the browser: sent only when chosen, the group photo's faces renumbered in
the chosen order (and the mapping follows it), a filter without fairface installed explained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.service.conftest import ASTRONAUT, GRACE
from tests.web.conftest import changed_halves


def capture(page: Any, pattern: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []

    def remember(route: Any) -> None:
        bodies.append(json.loads(route.request.post_data))
        route.continue_()

    page.route(pattern, remember)
    return bodies


def test_selection_options_are_sent_only_when_chosen(page: Any, shots: Any) -> None:
    bodies = capture(page, "**/api/tasks/create")
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.select_option("select[name=model]", "classic")
    page.get_by_role("button", name="Swap the face").click()
    page.wait_for_url("**/#/task/*")
    first = bodies[0]["params"]["input_data"]["wf_json"]
    assert not {"face_order", "face_gender", "face_age", "face_race"} & set(first)
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.select_option("select[name=model]", "classic")
    page.get_by_text("Advanced", exact=True).click()
    page.select_option("select[name=face_order]", "right-left")
    page.select_option("select[name=face_gender]", "female")
    page.get_by_label("Age from").fill("20")
    page.select_option("select[name=face_race]", "asian")
    shots(page, "photo-face-selection")
    page.get_by_role("button", name="Swap the face").click()
    page.locator("main [role=alert]").wait_for(timeout=60_000)  # fairface is not installed here
    wf = bodies[1]["params"]["input_data"]["wf_json"]
    assert wf["face_order"] == "right-left"
    assert wf["face_gender"] == "female"
    assert wf["face_age"] == [20, 100]
    assert wf["face_race"] == "asian"
    alert = page.locator("main [role=alert]")
    assert alert.get_attribute("data-code") == "model_missing"
    assert "fairface" in alert.text_content()


def test_the_group_faces_follow_the_chosen_order(page: Any, group_photo: Path, tmp_path: Path) -> None:
    detections = capture(page, "**/api/faces/detect")
    creations = capture(page, "**/api/tasks/create")
    page.goto("/#/group")
    page.set_input_files("input[name=target]", str(group_photo))
    cards = page.locator(".face-card")
    cards.nth(1).wait_for(timeout=60_000)
    left_first = [cards.nth(i).locator("img").get_attribute("src") for i in range(2)]
    page.get_by_text("Advanced", exact=True).click()
    page.select_option("select[name=face_order]", "right-left")
    page.locator(".faces-found", has_text="numbered right to left").wait_for(timeout=60_000)
    cards.nth(1).wait_for(timeout=60_000)
    assert detections[-1]["face_order"] == "right-left"
    right_first = [cards.nth(i).locator("img").get_attribute("src") for i in range(2)]
    assert right_first != left_first  # new crops, numbered the other way round
    # face 1 is now Grace Hopper, on the right: the astronaut goes there
    cards.nth(0).locator("input[type=file]").set_input_files(str(ASTRONAUT))
    page.get_by_role("button", name="Swap the faces").click()
    page.locator("section.result").wait_for(timeout=60_000)
    wf = creations[0]["params"]["input_data"]["wf_json"]
    assert wf["mapping"] == {"0": 0}
    assert wf["face_order"] == "right-left"
    left, right = changed_halves(page, group_photo, tmp_path)
    assert right > 0.01  # the right person changed
    assert left < 0.001  # the left one did not


def test_a_filter_without_fairface_is_explained_on_the_group_page(page: Any, group_photo: Path) -> None:
    page.goto("/#/group")
    page.set_input_files("input[name=target]", str(group_photo))
    page.locator(".face-card").nth(1).wait_for(timeout=60_000)
    page.get_by_text("Advanced", exact=True).click()
    page.select_option("select[name=face_gender]", "male")
    alert = page.locator(".face-status [role=alert]")
    alert.wait_for(timeout=60_000)
    assert alert.get_attribute("data-code") == "model_missing"
