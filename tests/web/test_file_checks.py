"""Small things users expect of the drop zones: a pasted image lands in the zone with focus (else the first
empty one); a file whose content is not what its name says is refused naming it; a photo over the server's
pixel or byte limit is refused saying which limit and the photo's size, before any upload; and when the page
cannot tell, the server's own words (its size and the limit) are shown."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlparse

import pytest
from PIL import Image

from tests.limits.conftest import with_png_size
from tests.service.conftest import ASTRONAUT, GRACE
from tests.web.dragdrop import Payload, settled, transfer, zone

NOTES_AS_JPEG = Payload("holiday.jpg", "image/jpeg", b"Things to pack: sunscreen, hat, a good book.\n")


def poster() -> Payload:
    """A PNG of a few hundred bytes whose header says 10000 x 10000 pixels (100 megapixels)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, format="PNG")
    return Payload("poster.png", "image/png", with_png_size(buffer.getvalue(), 10_000, 10_000))


def as_file(payload: Payload) -> dict[str, Any]:
    return {"name": payload.name, "mimeType": payload.type, "buffer": payload.data}


@pytest.fixture
def uploads(page: Any) -> list[str]:
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if urlparse(r.url).path == "/api/upload" else None)
    return calls


def paste(page: Any, payload: Payload) -> None:
    """What pasting a copied image sends: a paste event holding the file, to the element with focus."""
    data = transfer(page, [payload])
    page.evaluate(
        """(data) => (document.activeElement ?? document.body).dispatchEvent(
            new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }))""",
        data,
    )
    settled(page)


def test_a_pasted_image_goes_to_the_focused_zone_else_the_first_empty_one(page: Any) -> None:
    grace = Payload.of(GRACE)
    page.focus("input[name=target]")  # Tab to "Photo to change", then paste
    paste(page, grace)
    assert "has-file" in (zone(page, "target").get_attribute("class") or "")
    assert zone(page, "target").locator(".file-name").inner_text().startswith(grace.name)
    assert "has-file" not in (zone(page, "source").get_attribute("class") or "")
    page.evaluate("document.activeElement.blur()")
    astronaut = Payload.of(ASTRONAUT)
    paste(page, astronaut)  # no zone has focus: the first empty one takes it
    assert zone(page, "source").locator(".file-name").inner_text().startswith(astronaut.name)
    assert zone(page, "target").locator(".file-name").inner_text().startswith(grace.name)
    page.get_by_role("button", name="Swap the face").click()
    page.locator("section.result").wait_for(timeout=60_000)


def test_pasted_text_is_left_alone(page: Any) -> None:
    page.evaluate(
        """() => document.body.dispatchEvent(new ClipboardEvent("paste", {
            clipboardData: (() => { const d = new DataTransfer(); d.setData("text/plain", "hello"); return d; })(),
            bubbles: true, cancelable: true }))"""
    )
    assert page.locator(".dropzone.has-file").count() == 0
    assert page.locator(".dropzone [role=alert]").count() == 0


def test_a_text_file_named_jpg_is_refused_naming_it(page: Any, uploads: list[str]) -> None:
    page.set_input_files("input[name=source]", files=[as_file(NOTES_AS_JPEG)])
    alert = zone(page, "source").locator("[role=alert]")
    assert alert.get_attribute("data-code") == "unsupported_format"
    assert "\u201choliday.jpg\u201d is not a photo" in alert.inner_text()
    assert "whatever its name says" in alert.inner_text()
    assert "has-file" not in (zone(page, "source").get_attribute("class") or "")
    assert uploads == []


def test_a_photo_over_the_pixel_limit_says_so_before_upload(
    page: Any, uploads: list[str], shots: Any
) -> None:
    big = poster()
    assert len(big.data) < 1000
    page.set_input_files("input[name=target]", files=[as_file(big)])
    alert = zone(page, "target").locator("[role=alert]")
    assert alert.get_attribute("data-code") == "input_too_large"
    text = alert.inner_text()
    assert "\u201cposter.png\u201d is 10000 \u00d7 10000 pixels (100 megapixels)" in text
    assert "up to 64 megapixels" in text
    assert "however small the file" in text
    assert uploads == []
    shots(page, "photo-too-many-pixels", full_page=False)


def limited_options(page: Any, **changes: Any) -> None:
    """The server's options as the page sees them, with ``changes`` (None: the field left out)."""

    def answer(route: Any) -> None:
        body = route.fetch().json()
        for key, value in changes.items():
            if value is None:
                body["data"].pop(key, None)
            else:
                body["data"][key] = value
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/options", answer)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")


def test_a_file_over_the_byte_limit_says_its_size_and_the_limit(page: Any, uploads: list[str]) -> None:
    limited_options(page, max_upload_bytes=50_000)
    page.set_input_files("input[name=target]", str(GRACE))
    alert = zone(page, "target").locator("[role=alert]")
    assert alert.get_attribute("data-code") == "input_too_large"
    assert "this server takes files up to 48.8 KB" in alert.inner_text()
    assert uploads == []


def test_the_server_says_which_limit_when_the_page_cannot_tell(page: Any) -> None:
    limited_options(page, max_image_pixels=None)  # a page that does not know the pixel limit
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", files=[as_file(poster())])
    page.get_by_role("button", name="Swap the face").click()
    alert = page.locator(".submit-area [role=alert]")
    assert alert.get_attribute("data-code") == "input_too_large"
    detail = alert.locator(".error-detail")  # shown, not folded under Details
    assert detail.is_visible()
    assert "poster.png: the PNG image is 10000x10000 pixels (100 megapixels)" in detail.inner_text()
    assert "the limit is 64 megapixels" in detail.inner_text()
    assert page.locator(".task").count() == 0
