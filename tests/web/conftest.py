"""Browser fixtures: a live ``faceswap serve`` (classic engine, one in-process worker) and headless
Debian Chromium driven by Playwright. Tests skip with a reason when Chromium or Playwright is missing
(``scripts/test`` installs Chromium with apt; ``playwright install`` is never used)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live, start_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: Playwright's sync API holds an event loop while it runs, which the
    asyncio tests of other modules must not see."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does it with apt-get)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = start_server(tmp_path_factory.mktemp("web"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def context(browser: Any, live: Live, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser profile (empty localStorage) on the live server, desktop size."""
    ctx = browser.new_context(base_url=live.url, viewport=DESKTOP, accept_downloads=True)
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shots(tmp_path: Path) -> Any:
    """``shots(page, name)`` saves a screenshot under the test's tmp dir (and, with FACESWAP_WEB_SCREENSHOTS=1,
    under docs/screenshots)."""
    import os

    folder = tmp_path / "screenshots"
    folder.mkdir()
    publish = os.environ.get("FACESWAP_WEB_SCREENSHOTS") == "1"

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if publish:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)
        return path

    return take


GAP = 64
"""Grey pixels between the two people of :func:`group_photo`."""


@pytest.fixture
def group_photo(tmp_path: Path) -> Path:
    """The astronaut on the left, Grace Hopper on the right, on grey."""
    left, right = Image.open(ASTRONAUT).convert("RGB"), Image.open(GRACE).convert("RGB")
    group = Image.new(
        "RGB", (left.width + right.width + GAP, max(left.height, right.height)), (128, 128, 128)
    )
    group.paste(left, (0, 0))
    group.paste(right, (left.width + GAP, 0))
    path = tmp_path / "group.png"
    group.save(path)
    return path


def changed_pixels(page: Any, original_photo: Path, tmp_path: Path) -> np.ndarray:
    """Downloads the result shown on ``page``: where its grey levels differ from ``original_photo``'s by
    more than 24 (a boolean image)."""
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the result").click()
    saved = tmp_path / "result.png"
    info.value.save_as(saved)
    result = np.asarray(Image.open(saved).convert("L"), dtype=np.int16)
    original = np.asarray(Image.open(original_photo).convert("L"), dtype=np.int16)
    return np.abs(result - original) > 24


def changed_halves(page: Any, group_photo: Path, tmp_path: Path) -> tuple[float, float]:
    """Downloads the result shown on ``page`` and says what share of :func:`group_photo`'s left (the
    astronaut) and right (Grace Hopper) halves changed."""
    changed = changed_pixels(page, group_photo, tmp_path)
    split = Image.open(ASTRONAUT).width + GAP // 2
    return float(changed[:, :split].mean()), float(changed[:, split:].mean())
