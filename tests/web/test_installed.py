"""Choices whose models are not installed on the server are greyed out in the page, each with the command
that installs it; a server that cannot tell (no models folder) greys out nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from faceswap.models.catalog import CATALOG
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live, start_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server with a models folder holding one model: real_esrgan_x2."""
    data = tmp_path_factory.mktemp("web-models")
    (data / "models").mkdir()
    (data / "models" / CATALOG["real_esrgan_x2"].file).write_bytes(b"an upscaler stand-in")
    server = start_server(data)
    try:
        yield server
    finally:
        server.stop()


def option(page: Any, select: str, value: str) -> Any:
    return page.locator(f"select[name={select}] option[value='{value}']")


def note_of(page: Any, select: str) -> Any:
    field = page.locator(f"select[name={select}]")
    return page.locator(f"#{field.get_attribute('aria-describedby')}")


def test_what_is_not_installed_is_greyed_out_with_its_command(page: Any, shots: Any) -> None:
    hyperswap = option(page, "model", "hyperswap_1a_256")
    assert hyperswap.is_disabled()
    assert hyperswap.inner_text().endswith("not installed")
    assert hyperswap.get_attribute("title") == (
        "faceswap models download scrfd_2.5g arcface_w600k_r50 hyperswap_1a_256"
    )
    for usable in ("auto", "classic"):
        assert option(page, "model", usable).is_enabled()
    note = note_of(page, "model")
    assert note.is_visible()
    assert "13 choices are not installed on this server" in note.inner_text()
    note.locator("summary").click()
    assert (
        "GHOST 1 256: faceswap models download scrfd_2.5g arcface_w600k_r50 ghost_1_256 crossface_ghost"
        in (note.inner_text())
    )
    assert option(page, "enhancer", "codeformer").is_disabled()
    assert option(page, "enhancer", "none").is_enabled()
    page.get_by_text("Advanced", exact=True).click()
    assert option(page, "upscale", "real_esrgan_x2").is_enabled()  # the one installed
    assert option(page, "upscale", "real_esrgan_x4").is_disabled()
    assert (
        option(page, "landmarker", "2dfan4").get_attribute("title")
        == "faceswap models download 2dfan4 fan_68_5"
    )
    assert option(page, "face_parser", "bisenet_resnet_18").is_disabled()
    occlusion = page.get_by_label("Keep what covers the face (hands, hair, glasses)")
    assert occlusion.is_disabled()
    assert "xseg_1" in page.locator(f"#{occlusion.get_attribute('aria-describedby')}").text_content()
    # the face filters need fairface
    for name in ("face_gender", "face_race", "face_age_from", "face_age_to"):
        assert page.locator(f"[name={name}]").is_disabled()
    filters = page.locator(".face-selection .install-note")
    assert "faceswap models download fairface" in filters.inner_text()
    assert page.locator("select[name=face_order]").is_enabled()  # the order needs no model
    shots(page, "photo-not-installed")


def test_a_swap_with_what_is_installed_still_works(page: Any) -> None:
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.select_option("select[name=model]", "classic")
    page.get_by_role("button", name="Swap the face").click()
    page.locator("section.result").wait_for(timeout=60_000)
