"""A multi-person swap in the browser: the target's faces shown as crops, a new face dropped on one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.conftest import ASTRONAUT, GRACE
from tests.web.conftest import PHONE, changed_halves


def test_group_swap_with_a_mapping(page: Any, shots: Any, group_photo: Path, tmp_path: Path) -> None:
    page.goto("/#/group")
    page.set_input_files("input[name=target]", str(group_photo))
    cards = page.locator(".face-card")
    cards.nth(1).wait_for(timeout=60_000)
    assert cards.count() == 2
    assert "2 faces found" in page.locator(".faces-found").inner_text()
    crops = page.locator(".face-crop")
    assert all(crops.nth(i).evaluate("img => img.complete && img.naturalWidth > 0") for i in range(2))
    # the astronaut's face goes onto face 2 (Grace Hopper, on the right); face 1 keeps hers
    cards.nth(1).locator("input[type=file]").set_input_files(str(ASTRONAUT))
    shots(page, "group-mapping")
    page.get_by_role("button", name="Swap the faces").click()
    page.locator("section.result").wait_for(timeout=60_000)
    assert page.locator("[data-fact='faces changed']").inner_text() == "1 of 2"
    shots(page, "group-result")
    left, right = changed_halves(page, group_photo, tmp_path)
    assert right > 0.01  # the right person changed
    assert left < 0.001  # the left one did not
    page.goto("/#/group")
    page.set_viewport_size(PHONE)
    page.set_input_files("input[name=target]", str(group_photo))
    page.locator(".face-card").nth(1).wait_for(timeout=60_000)
    shots(page, "group-mapping-phone", full_page=False)


def test_reference_person_picked_from_the_target_faces(
    page: Any, shots: Any, group_photo: Path, tmp_path: Path
) -> None:
    page.select_option("select[name=face_mode]", "reference")
    page.set_input_files("input[name=source]", str(GRACE))
    page.set_input_files("input[name=target]", str(group_photo))
    page.locator(".face-pick input[type=radio]").nth(1).wait_for(timeout=60_000)
    page.get_by_role("radio", name="Face 1").check()  # the astronaut, on the left
    shots(page, "photo-reference")
    page.get_by_role("button", name="Swap the face").click()
    page.locator("section.result").wait_for(timeout=60_000)
    assert page.locator("[data-fact='faces changed']").inner_text() == "1 of 2"
    left, right = changed_halves(page, group_photo, tmp_path)
    assert left > 0.003  # the chosen person (a smaller face) changed
    assert right < 0.001  # the other one did not
