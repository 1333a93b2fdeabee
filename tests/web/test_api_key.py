"""The page on a server with API keys: it says a key is needed, takes one, keeps it in the browser, and
then swaps, shows and downloads results (images and downloads carry the key through its cookie)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import FACESWAP, Live, start_server
from tests.web.conftest import DESKTOP


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, str]]:
    """A live server with one API key, and that key."""
    server = start_server(tmp_path_factory.mktemp("keyed"))
    try:
        created = subprocess.run(
            [str(FACESWAP), "keys", "create", "browser"],
            env=server.env,
            capture_output=True,
            text=True,
            check=True,
        )
        yield server, created.stdout.strip()
    finally:
        server.stop()


@pytest.fixture
def keyed_page(browser: Any, keyed: tuple[Live, str]) -> Iterator[Any]:
    live, _ = keyed
    context = browser.new_context(base_url=live.url, viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def start_swap(page: Any) -> None:
    page.set_input_files("input[name=source]", str(ASTRONAUT))
    page.set_input_files("input[name=target]", str(GRACE))
    page.select_option("select[name=model]", "classic")
    page.get_by_role("button", name="Swap the face").click()


def test_options_say_whether_a_key_is_needed(keyed: tuple[Live, str], live: Live) -> None:
    server, _ = keyed
    assert httpx.get(f"{server.url}/api/options").json()["data"]["auth"] == {"required": True}
    assert httpx.get(f"{live.url}/api/options").json()["data"]["auth"] == {"required": False}


def test_the_key_cookie_is_accepted_on_reads_only(keyed: tuple[Live, str]) -> None:
    server, key = keyed
    cookies = {"faceswap_key": key}
    assert httpx.get(f"{server.url}/api/tasks", cookies=cookies).status_code == 200
    assert httpx.get(f"{server.url}/api/tasks", cookies={"faceswap_key": "fsk_wrong"}).status_code == 401
    # a cross-site form could post with the cookie: writes need the Authorization header
    posted = httpx.post(f"{server.url}/api/tasks/create", json={"workflow": "face_swap"}, cookies=cookies)
    assert posted.status_code == 401


def test_without_a_key_the_page_says_one_is_needed(keyed_page: Any, shots: Any) -> None:
    page = keyed_page
    form = page.locator("details.key")
    assert form.get_attribute("open") is not None  # opened at load: the server needs a key
    assert page.locator(".key-status").inner_text() == "This server needs an API key."
    form.locator("summary").click()  # closed by the user, the swap's 401 opens it again
    start_swap(page)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.get_attribute("data-code") == "unauthorized"
    assert "needs an API key" in alert.inner_text()
    assert form.get_attribute("open") is not None
    assert "paste yours here" in page.locator(".key-status").inner_text()
    shots(page, "api-key-needed")


def test_with_a_key_the_page_swaps_shows_and_downloads(
    keyed_page: Any, keyed: tuple[Live, str], tmp_path: Path
) -> None:
    page = keyed_page
    _, key = keyed
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Save").click()
    assert page.evaluate("localStorage.getItem('faceswap.apiKey')") == key
    cookie = next(c for c in page.context.cookies() if c["name"] == "faceswap_key")
    assert (cookie["value"], cookie["path"], cookie["sameSite"]) == (key, "/api", "Strict")
    start_swap(page)
    page.wait_for_url("**/#/task/*")
    page.locator("section.result").wait_for(timeout=60_000)
    # the result image loaded (the browser fetched it by itself, with the key's cookie)
    page.wait_for_function(
        "() => [...document.querySelectorAll('section.result img')].some(i => i.naturalWidth > 0)"
    )
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the result").click()
    saved = tmp_path / "result"
    info.value.save_as(saved)
    swapped = np.asarray(Image.open(saved).convert("L"), dtype=np.int16)
    assert swapped.shape == np.asarray(Image.open(GRACE).convert("L")).shape
    # a reload keeps the key; Forget removes it
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("details.key").get_attribute("open") is None
    page.locator("details.key summary").click()
    page.get_by_role("button", name="Forget").click()
    assert page.evaluate("localStorage.getItem('faceswap.apiKey')") is None
    assert not [c for c in page.context.cookies() if c["name"] == "faceswap_key"]
