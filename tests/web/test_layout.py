"""The task panel covers no form control at common laptop sizes: the page keeps a column free for it, and
where it cannot, the panel starts folded to its title bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.web.pages import open_with

SIZES = [{"width": 1280, "height": 800}, {"width": 1440, "height": 900}]

COVERED = """() => {
    // every control of the form the user can reach, each brought into view: what is at its centre?
    const controls = [...document.querySelectorAll(
        "main select, main button, main input:not(.visually-hidden), main summary, main a, main .drop-label"
    )].filter((el) => el.getClientRects().length > 0 && !el.closest("details:not([open]) > :not(summary)"));
    const covered = [];
    for (const control of controls) {
        control.scrollIntoView({ block: "center", inline: "center" });
        const box = control.getBoundingClientRect();
        const x = box.left + box.width / 2;
        const y = box.top + box.height / 2;
        const found = document.elementFromPoint(x, y);
        const label = control.id ? document.querySelector(`label[for="${control.id}"]`) : null;
        if (!found || !(control.contains(found) || found.contains(control) || label?.contains(found))) {
            covered.push(`${control.tagName} ${control.name || control.textContent.trim().slice(0, 30)}`
                + ` under ${found ? found.tagName + "." + found.className : "nothing"}`);
        }
    }
    return { checked: controls.length, covered };
}"""


@pytest.fixture(scope="module")
def four_faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four people in two rows: the group view lists "Face 4" at the bottom right."""
    faces = [Image.open(p).convert("RGB").resize((256, 256)) for p in (ASTRONAUT, GRACE, GRACE, ASTRONAUT)]
    group = Image.new("RGB", (2 * 256 + 48, 2 * 256 + 48), (128, 128, 128))
    for index, face in enumerate(faces):
        group.paste(face, ((index % 2) * 304, (index // 2) * 304))
    path = tmp_path_factory.mktemp("group") / "four.png"
    group.save(path)
    return path


def many_tasks(count: int = 9) -> list[dict[str, Any]]:
    """Finished tasks enough to make the panel as tall as it gets."""
    return [
        {"id": f"gone-{i}", "kind": "photo", "title": f"Old swap {i}", "status": "FAILED"}
        for i in range(count)
    ]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_panel_covers_no_form_control(context: Any, size: dict[str, int], four_faces: Path) -> None:
    page = open_with(context, many_tasks())
    page.set_viewport_size(size)
    panel = page.locator("#tasks")
    assert page.locator("#tasks .panel-toggle").get_attribute("aria-expanded") == "true"
    assert panel.bounding_box()["height"] > size["height"] / 2  # a tall panel, open
    for route in ("#/photo", "#/video"):
        page.goto(f"/{route}")
        page.get_by_text("Advanced", exact=True).click()
        found = page.evaluate(COVERED)
        assert found["checked"] > 20
        assert found["covered"] == [], (route, found["covered"])
    page.goto("/#/group")
    page.set_input_files("input[name=target]", str(four_faces))
    page.get_by_text("Face 4", exact=True).wait_for(timeout=60_000)
    page.get_by_text("Advanced", exact=True).click()
    found = page.evaluate(COVERED)
    assert found["covered"] == [], found["covered"]
    assert not page.errors


def test_between_phone_and_laptop_the_panel_starts_folded(context: Any) -> None:
    page = open_with(context, many_tasks(3))
    page.set_viewport_size({"width": 1000, "height": 800})
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#tasks .panel-toggle").get_attribute("aria-expanded") == "false"
    found = page.evaluate(COVERED)
    assert found["covered"] == [], found["covered"]
