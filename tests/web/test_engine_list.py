"""The engine list of the web page: every swapper with its licence, and whether it is installed."""

from __future__ import annotations

from typing import Any

from faceswap.choices import SwapperName, choices
from faceswap.models.catalog import CATALOG
from tests.service.live import Live


def test_options_list_every_swapper_with_its_licence_and_installed_state(live: Live) -> None:
    with live.client() as client:
        data = client.get("/api/options").json()["data"]
    swappers = {entry["name"]: entry for entry in data["swappers"]}
    assert list(swappers) == list(choices(SwapperName))
    ghost = swappers["ghost_1_256"]
    assert ghost["licence"] == CATALOG["ghost_1_256"].licence
    assert ghost["commercial_use"] is True
    assert ghost["models"][-1] == "crossface_ghost"
    assert swappers["blendswap_256"]["identity_weight"] is False
    assert swappers["simswap_unofficial_512"]["pixel_boost"] == ["native", "512", "1024"]
    assert all(entry["installed"] is not True for entry in swappers.values())  # no model on this server


def test_the_engine_select_names_licences(page: Any) -> None:
    labels = page.locator("select[name=model] option").all_inner_texts()
    values = page.locator("select[name=model] option").evaluate_all("(items) => items.map((o) => o.value)")
    by_value = dict(zip(values, labels, strict=True))
    assert by_value["hyperswap_1a_256"].startswith("HyperSwap 1a 256 (ResearchRAIL")
    assert "Apache-2.0" in by_value["ghost_2_256"]
    assert by_value["classic"] == "Classic (offline)"


def test_a_server_that_cannot_tell_greys_out_nothing(page: Any) -> None:
    """This server has no models folder of its own (its workers might have the models)."""
    page.get_by_text("Advanced", exact=True).click()
    assert page.locator("main option:disabled, main input:disabled").count() == 0
    assert page.locator("main .install-note").count() == 0
