"""The group view's photo: the faces found as numbered boxes over it, a click that selects a face, a box
drawn around a person the detector missed (face N+1), and a swap onto that person.

The six-person photo at 700 px (:mod:`faceswap.testing.six_people`): the classic detector finds five of
its people and misses the third from the left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from faceswap.testing.six_people import six_people
from tests.service.conftest import FACES, GRACE
from tests.web.conftest import changed_pixels

MISSED = 2
WIDTH = 700


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, ...]]]:
    image, boxes = six_people(FACES, WIDTH)
    path = tmp_path_factory.mktemp("six") / "six-people.png"
    cv2.imwrite(str(path), image)
    return path, boxes


def on_screen(page: Any, box: tuple[float, ...]) -> tuple[float, float, float, float]:
    """``box`` (photo pixels) in the page's coordinates, through the photo's displayed rectangle."""
    rect = page.locator(".face-photo-image").bounding_box()
    scale = rect["width"] / WIDTH
    return (
        rect["x"] + box[0] * scale,
        rect["y"] + box[1] * scale,
        rect["x"] + box[2] * scale,
        rect["y"] + box[3] * scale,
    )


def drag(page: Any, x1: float, y1: float, x2: float, y2: float) -> None:
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
    page.mouse.move(x2, y2, steps=4)
    page.mouse.up()


def test_faces_are_numbered_boxes_on_the_photo_and_a_drawn_box_adds_one(
    page: Any, shots: Any, six: tuple[Path, list[tuple[float, ...]]], tmp_path: Path
) -> None:
    path, people = six
    page.goto("/#/group")
    page.set_input_files("input[name=target]", str(path))
    boxes = page.locator(".face-photo .face-box:not(.sketch)")
    boxes.nth(4).wait_for(timeout=90_000)
    assert boxes.count() == 5
    assert [boxes.nth(i).inner_text() for i in range(5)] == ["1", "2", "3", "4", "5"]
    assert [boxes.nth(i).get_attribute("data-face") for i in range(5)] == ["0", "1", "2", "3", "4"]
    # each box lies on its person, in the photo's displayed pixels; numbered left to right, the missed
    # person skipped
    expected = [person for index, person in enumerate(people) if index != MISSED]
    for index, person in enumerate(expected):
        shown = boxes.nth(index).bounding_box()
        cx, cy = shown["x"] + shown["width"] / 2, shown["y"] + shown["height"] / 2
        x1, y1, x2, y2 = on_screen(page, person)
        assert x1 <= cx <= x2
        assert y1 <= cy <= y2
    # the boxes scale with the photo
    before = boxes.nth(0).bounding_box()["width"]
    page.set_viewport_size({"width": 700, "height": 860})
    after = boxes.nth(0).bounding_box()["width"]
    assert after < before
    page.set_viewport_size({"width": 1280, "height": 860})

    # a click selects the face for the mapping: its box pressed, its card chosen, focus on its picker
    boxes.nth(2).click()
    assert boxes.nth(2).get_attribute("aria-pressed") == "true"
    assert boxes.nth(0).get_attribute("aria-pressed") == "false"
    cards = page.locator(".face-card")
    assert "chosen" in (cards.nth(2).get_attribute("class") or "")
    assert page.evaluate("document.activeElement.name") == "face-2"
    # ... and the keyboard does the same
    boxes.nth(1).focus()
    page.keyboard.press("Enter")
    assert boxes.nth(1).get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.activeElement.name") == "face-1"
    shots(page, "group-boxes")

    # a drag too small to hold a face says so and adds nothing
    x1, y1, _, _ = on_screen(page, people[MISSED])
    drag(page, x1, y1, x1 + 6, y1 + 6)
    assert "too small" in page.locator(".face-photo-note").inner_text()
    assert boxes.count() == 5

    # a box drawn around the missed person adds face 6, found inside it
    x1, y1, x2, y2 = on_screen(page, people[MISSED])
    drag(page, x1 - 4, y1 - 4, x2 + 4, y2 + 4)
    boxes.nth(5).wait_for(timeout=90_000)
    assert boxes.count() == 6
    added = boxes.nth(5)
    assert added.inner_text() == "6"
    assert "added" in (added.get_attribute("class") or "")
    assert added.get_attribute("aria-pressed") == "true"
    assert cards.count() == 6
    assert cards.nth(5).locator("figcaption").inner_text() == "Face 6 (drawn)"
    assert "face 6" in page.locator(".faces-found").inner_text()
    shown = added.bounding_box()
    assert x1 - 6 <= shown["x"] + shown["width"] / 2 <= x2 + 6

    # a swap onto the added face
    cards.nth(5).locator("input[type=file]").set_input_files(str(GRACE))
    shots(page, "group-drawn")
    page.get_by_role("button", name="Swap the faces").click()
    page.locator("section.result").wait_for(timeout=120_000)
    assert page.locator("[data-fact='faces changed']").inner_text() == "1 of 6"
    changed = np.argwhere(changed_pixels(page, path, tmp_path))
    px1, py1, px2, py2 = people[MISSED]
    assert len(changed) > 50
    assert px1 - 20 <= changed[:, 1].min()
    assert changed[:, 1].max() <= px2 + 20
    assert py1 - 20 <= changed[:, 0].min()
    assert changed[:, 0].max() <= py2 + 20
