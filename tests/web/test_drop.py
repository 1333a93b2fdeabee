"""Drag-and-drop on every drop zone: a dropped file works like a chosen one; the highlight follows the drag;
a file the zone cannot use, or several files on a one-file zone, are refused in plain words with nothing
sent; a file dropped beside the zones is refused, so the page is not replaced by the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.video.videoclips import write_clip
from tests.web.dragdrop import Payload, dispatch, drop, transfer, zone

FACE = Payload.of(ASTRONAUT)
PHOTO = Payload.of(GRACE)
NOTES = Payload("notes.txt", "text/plain", b"not a picture\n")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Payload:
    """A 160x120 clip, 40 frames: swapped in a few seconds."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return Payload.of(write_clip(path, (160, 120), (40,) * 40, audio=False).path)


@pytest.fixture
def group_photo(tmp_path: Path) -> Payload:
    """The astronaut on the left, Grace Hopper on the right, on grey."""
    left, right = Image.open(ASTRONAUT).convert("RGB"), Image.open(GRACE).convert("RGB")
    group = Image.new("RGB", (left.width + right.width + 64, max(left.height, right.height)), (128,) * 3)
    group.paste(left, (0, 0))
    group.paste(right, (left.width + 64, 0))
    path = tmp_path / "group.png"
    group.save(path)
    return Payload.of(path)


@pytest.fixture
def api_calls(page: Any) -> list[str]:
    """Every ``METHOD /api/...`` request the page sends from now on."""
    calls: list[str] = []
    page.on(
        "request",
        lambda request: (
            calls.append(f"{request.method} {urlparse(request.url).path}")
            if urlparse(request.url).path.startswith("/api/")
            and not urlparse(request.url).path.endswith("/events")
            else None
        ),
    )
    return calls


def assert_shows(page: Any, name: str, payload: Payload) -> None:
    """The zone holds ``payload``: its name and a preview that loaded, and no error."""
    where = zone(page, name)
    assert "has-file" in (where.get_attribute("class") or "")
    assert where.locator(".file-name").inner_text().startswith(payload.name)
    media = where.locator(".preview-media")
    if payload.type.startswith("video/"):
        page.wait_for_function("v => v.readyState >= 1", arg=media.element_handle())
        assert media.evaluate("v => v.videoWidth") > 0
    else:
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=media.element_handle())
    assert where.locator("[role=alert]").count() == 0
    assert "dragging" not in (where.get_attribute("class") or "")


def test_photo_swap_from_dropped_files(page: Any, api_calls: list[str]) -> None:
    drop(page, zone(page, "source"), FACE)
    drop(page, zone(page, "target"), PHOTO)
    assert_shows(page, "source", FACE)
    assert_shows(page, "target", PHOTO)
    assert api_calls == []  # nothing is sent before the swap starts
    page.get_by_role("button", name="Swap the face").click()
    page.locator("section.result").wait_for(timeout=60_000)
    assert page.locator(".task").first.get_attribute("data-status") == "COMPLETED"
    assert page.locator("[data-fact='faces changed']").inner_text() == "1 of 1"
    assert api_calls.count("POST /api/upload") == 2
    assert api_calls.count("POST /api/tasks/create") == 1


def test_video_swap_from_dropped_files(page: Any, clip: Payload) -> None:
    page.goto("/#/video")
    drop(page, zone(page, "source"), FACE)
    drop(page, zone(page, "target"), clip)
    assert_shows(page, "source", FACE)
    assert_shows(page, "target", clip)
    page.get_by_role("button", name="Swap the face in the video").click()
    page.locator("section.result video").first.wait_for(timeout=90_000)
    assert page.locator(".task").first.get_attribute("data-status") == "COMPLETED"
    assert page.locator("[data-fact=frames]").inner_text() == "40"


def test_group_swap_from_dropped_files(page: Any, group_photo: Payload) -> None:
    page.goto("/#/group")
    drop(page, zone(page, "target"), group_photo)
    assert_shows(page, "target", group_photo)
    page.locator(".face-card").nth(1).wait_for(timeout=60_000)
    assert "2 faces found" in page.locator(".faces-found").inner_text()
    drop(page, zone(page, "face-1"), FACE)  # a new face for face 2, Grace Hopper
    assert_shows(page, "face-1", FACE)
    assert zone(page, "face-0").locator(".preview-media").count() == 0
    page.get_by_role("button", name="Swap the faces").click()
    page.locator("section.result").wait_for(timeout=60_000)
    assert page.locator("[data-fact='faces changed']").inner_text() == "1 of 2"


ZONES = [
    ("photo", "source"),
    ("photo", "target"),
    ("video", "source"),
    ("video", "target"),
    ("group", "target"),
]


@pytest.mark.parametrize(("view", "name"), ZONES, ids=[f"{v}-{n}" for v, n in ZONES])
def test_the_highlight_follows_the_drag(page: Any, view: str, name: str) -> None:
    page.goto(f"/#/{view}")
    where = zone(page, name)
    data = transfer(page, [PHOTO])

    def highlighted() -> bool:
        return "dragging" in (where.get_attribute("class") or "")

    assert dispatch(page, where, "dragenter", data)["cancelled"]
    assert highlighted()
    assert dispatch(page, where, "dragover", data)["cancelled"]  # dropping here is allowed
    assert highlighted()
    # moving onto the zone's own title: the zone gets a dragleave, but the drag is still inside it
    title = where.locator(".drop-title")
    dispatch(page, title, "dragenter", data)
    dispatch(page, where, "dragleave", data, related=title.element_handle())
    dispatch(page, title, "dragover", data)
    assert highlighted()
    # leaving the zone for the page around it
    heading = page.locator("h1").element_handle()
    dispatch(page, title, "dragleave", data, related=heading)
    assert not highlighted()
    # dragging text, not files, does not light the zone up
    text = transfer(page, text="some words")
    assert not dispatch(page, where, "dragenter", text)["cancelled"]
    assert not dispatch(page, where, "dragover", text)["cancelled"]
    assert not highlighted()
    # a drop ends the highlight
    dispatch(page, where, "dragenter", data)
    dispatch(page, where, "dragover", data)
    dispatch(page, where, "drop", data)
    assert not highlighted()


def test_a_real_drag_across_the_page(page: Any) -> None:
    """Chromium's own drag of a file (DevTools protocol): the highlight stays while the pointer crosses the
    zone's text; beside the zones the page refuses the drop (no drop happens, the page stays); on the zone
    the file is taken."""
    cdp = page.context.new_cdp_session(page)
    data = {"items": [], "files": [str(GRACE)], "dragOperationsMask": 1}
    where = zone(page, "source")
    page.evaluate("window.drops = []; addEventListener('drop', (e) => drops.push(e.target.tagName), true)")

    def move(kind: str, target: Any) -> None:
        box = target.bounding_box()
        point = {"x": box["x"] + 4, "y": box["y"] + 4}
        cdp.send("Input.dispatchDragEvent", {"type": kind, **point, "data": data})

    def highlighted() -> bool:
        return "dragging" in (where.get_attribute("class") or "")

    heading = page.locator("h1")
    move("dragEnter", heading)
    move("dragOver", heading)
    move("drop", heading)
    assert page.evaluate("drops") == []  # the drop is refused before it happens: "no drop here"
    assert page.url.endswith("/")
    move("dragEnter", where)
    move("dragOver", where)
    assert highlighted()
    move("dragOver", where.locator(".drop-title"))
    assert highlighted()
    move("dragOver", where.locator(".drop-hint"))
    assert highlighted()
    move("dragOver", heading)
    assert not highlighted()
    move("dragOver", where.locator(".drop-action"))
    assert highlighted()
    move("drop", where.locator(".drop-action"))
    assert page.evaluate("drops") == ["SPAN"]
    assert not highlighted()
    assert where.locator(".file-name").inner_text().startswith(GRACE.name)


BAD = [
    ("photo", "source", "Swap the face", NOTES, "is not a photo"),
    ("photo", "target", "Swap the face", NOTES, "is not a photo"),
    ("video", "source", "Swap the face in the video", NOTES, "is not a photo"),
    ("video", "target", "Swap the face in the video", PHOTO, "is not a video"),
    ("group", "target", "Swap the faces", NOTES, "is not a photo"),
]


@pytest.mark.parametrize(
    ("view", "name", "start", "payload", "words"), BAD, ids=[f"{v}-{n}" for v, n, *_ in BAD]
)
def test_a_file_the_zone_cannot_use_is_refused(
    page: Any,
    api_calls: list[str],
    clip: Payload,
    view: str,
    name: str,
    start: str,
    payload: Payload,
    words: str,
) -> None:
    page.goto(f"/#/{view}")
    where = zone(page, name)
    drop(page, where, payload)
    alert = where.locator("[role=alert]")
    assert alert.get_attribute("data-code") == "unsupported_format"
    assert f"\u201c{payload.name}\u201d {words}" in alert.inner_text()
    assert "JPEG" in alert.inner_text() or "MP4" in alert.inner_text()  # what to use instead
    assert "has-file" not in (where.get_attribute("class") or "")
    assert where.locator(".preview-media").count() == 0
    # the input says so to assistive technology
    field = where.locator("input[type=file]")
    assert field.get_attribute("aria-invalid") == "true"
    described = (field.get_attribute("aria-describedby") or "").split()
    assert alert.evaluate(
        "(box, ids) => ids.some((id) => document.getElementById(id)?.contains(box))", described
    )
    # starting the swap explains what is missing; nothing was uploaded, no task was created
    page.get_by_role("button", name=start).click()
    form_error = page.locator(".submit-area [role=alert]")
    assert form_error.get_attribute("data-code") == "form"
    assert "Pick" in form_error.inner_text()
    assert page.locator(".task").count() == 0
    assert page.locator(".face-card").count() == 0
    assert [call for call in api_calls if call != "GET /api/options"] == []
    # a usable file afterwards clears the refusal
    good = clip if (view, name) == ("video", "target") else PHOTO
    drop(page, where, good)
    assert_shows(page, name, good)
    assert field.get_attribute("aria-invalid") is None


def test_a_file_chosen_with_the_file_chooser_is_checked_too(page: Any, tmp_path: Path) -> None:
    """The chooser's type filter is only a suggestion ("All files" bypasses it): the same refusal applies."""
    notes = tmp_path / NOTES.name
    notes.write_bytes(NOTES.data)
    page.set_input_files("input[name=source]", str(notes))
    alert = zone(page, "source").locator("[role=alert]")
    assert alert.get_attribute("data-code") == "unsupported_format"
    assert zone(page, "source").locator(".preview-media").count() == 0


def test_several_files_on_a_one_file_zone_are_refused(page: Any, api_calls: list[str]) -> None:
    where = zone(page, "source")
    drop(page, where, PHOTO)
    drop(page, where, FACE, PHOTO)
    alert = where.locator("[role=alert]")
    assert alert.get_attribute("data-code") == "form"
    assert "one photo" in alert.inner_text()
    assert "2 files" in alert.inner_text()
    assert where.locator(".file-name").inner_text().startswith(PHOTO.name)  # the one before is kept
    assert f"\u201c{PHOTO.name}\u201d is still chosen" in alert.inner_text()
    assert api_calls == []
    drop(page, where, FACE)
    assert_shows(page, "source", FACE)


def test_a_file_dropped_beside_the_zones_is_refused(page: Any) -> None:
    """Browsers open a file dropped where the page does not take it, replacing the page and its form."""
    drop(page, zone(page, "source"), FACE)
    data = transfer(page, [PHOTO])
    heading = page.locator("h1")
    assert dispatch(page, heading, "dragover", data)["cancelled"]
    assert dispatch(page, heading, "drop", data)["cancelled"]  # and no opening of the file
    assert zone(page, "source").locator(".file-name").inner_text().startswith(FACE.name)
    assert zone(page, "target").locator(".preview-media").count() == 0
    # text dragged over the page keeps the browser's own behaviour
    assert not dispatch(page, heading, "dragover", transfer(page, text="words"))["cancelled"]
