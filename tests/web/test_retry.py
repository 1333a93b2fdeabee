"""The task panel's "Try again" on failed and stopped tasks: keyboard reachable, announced, follows the task
to its new outcome, and explains a refusal (an input file that is no longer stored) in plain words."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import ASTRONAUT
from tests.service.gated_host import gated_host
from tests.service.live import Live, wait_status

STORE_KEY = "faceswap.tasks.v1"


@pytest.fixture
def target() -> Iterator[tuple[str, list[bool]]]:
    with gated_host() as gated:
        yield f"{gated.url}/target.jpg", gated.open


def failed_task(client: httpx.Client, target_url: str) -> tuple[str, str]:
    """A task that fails (its target URL answers 404); (task id, the id of its uploaded face)."""
    source = client.post("/api/upload", files={"file": (ASTRONAUT.name, ASTRONAUT.read_bytes())})
    source_id = str(source.json()["data"]["file_id"])
    wf = {"source_url": source_id, "target_url": target_url}
    created = client.post(
        "/api/tasks/create", json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    )
    task_id = str(created.json()["data"]["taskId"])
    assert wait_status(client, task_id, {"COMPLETED", "FAILED", "CANCELLED"})["status"] == "FAILED"
    return task_id, source_id


def open_with(context: Any, entries: list[dict[str, Any]]) -> Any:
    """The page with ``entries`` in the task list, as if this browser had started them."""
    context.add_init_script(
        f"localStorage.setItem({json.dumps(STORE_KEY)}, {json.dumps(json.dumps(entries))})"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.errors = errors
    return page


def test_try_again_runs_a_failed_task_to_completion(
    context: Any, live: Live, target: tuple[str, list[bool]], shots: Any
) -> None:
    target_url, serving = target
    with live.client() as client:
        task_id, _ = failed_task(client, target_url)
    page = open_with(context, [{"id": task_id, "kind": "photo", "title": "Grace", "status": "FAILED"}])
    row = page.locator(f".task[data-task-id='{task_id}']")
    assert row.get_attribute("data-status") == "FAILED"
    button = row.get_by_role("button", name="Try Grace again")
    assert button.inner_text() == "Try again"
    shots(page, "task-try-again", full_page=False)
    serving[0] = True
    button.focus()
    page.keyboard.press("Enter")  # keyboard reachable: a real <button>
    page.wait_for_function(
        "document.getElementById('announcer').textContent.includes('Grace')", timeout=10_000
    )
    page.locator(f".task[data-task-id='{task_id}'][data-status=COMPLETED]").wait_for(timeout=60_000)
    assert row.get_by_role("button", name="Try Grace again").count() == 0
    assert row.locator("a.download").count() == 1
    with live.client() as client:
        task = client.get(f"/api/tasks/{task_id}").json()["data"]
    assert (task["status"], task["retries"]) == ("COMPLETED", 1)
    assert not page.errors


def test_try_again_explains_an_expired_input(
    context: Any, live: Live, target: tuple[str, list[bool]]
) -> None:
    target_url, _ = target
    with live.client() as client:
        task_id, source_id = failed_task(client, target_url)
    data_dir = Path(live.env["FACESWAP_DATA_DIR"])
    stored = [f for f in data_dir.rglob(f"*{source_id}*") if f.is_file()]
    assert stored
    for path in stored:
        path.unlink()  # what retention does to old uploads
    page = open_with(context, [{"id": task_id, "kind": "photo", "title": "Old swap", "status": "FAILED"}])
    row = page.locator(f".task[data-task-id='{task_id}']")
    row.get_by_role("button", name="Try Old swap again").click()
    alert = row.locator("[role=alert]")
    alert.wait_for(timeout=10_000)
    assert alert.get_attribute("data-code") == "input_expired"
    assert "no longer on the server" in alert.inner_text()
    assert "pick them again" in alert.inner_text()
    deadline = time.monotonic() + 5
    while "no longer on the server" not in page.locator("#announcer").inner_text():
        assert time.monotonic() < deadline, "the refusal was not announced"
        time.sleep(0.05)
    assert row.get_attribute("data-status") == "FAILED"
    assert row.get_by_role("button", name="Try Old swap again").is_enabled()
    assert not page.errors
