"""The page words its errors from the server's error table (``GET /api/options`` ``errors``): a failed
task's code shows the title and hint the server gives for it, the ComfyUI and API-key codes included, and a
code only the server knows shows the server's words."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.service.live import Live
from tests.web.pages import open_with
from tests.web.test_task_progress import TASK_ID, task_json

SERVER_ONLY = "made_up_by_the_server"
"""An error code no page has ever heard of: only the (routed) server's table words it."""


def failing_with(context: Any, code: str, message: str = "what the server says") -> None:
    """``GET /api/tasks/{TASK_ID}`` answers a task FAILED with ``code`` (the events stream is refused, so
    the page polls)."""
    task = task_json(status="FAILED", progress=0.5, error={"code": code, "message": message})
    body = json.dumps({"success": True, "data": task})
    context.route(f"**/api/tasks/{TASK_ID}/events", lambda route: route.abort())
    context.route(
        f"**/api/tasks/{TASK_ID}",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )


def open_failed_task(context: Any) -> Any:
    entry = {"id": TASK_ID, "kind": "photo", "title": "Photo swap", "status": "PENDING", "progress": 0}
    return open_with(context, [entry], f"/#/task/{TASK_ID}")


def test_a_failed_tasks_code_is_worded_as_the_servers_table_words_it(context: Any, live: Live) -> None:
    table = httpx.get(f"{live.url}/api/options", timeout=10).json()["data"]["errors"]
    words = table["comfyui_execution_error"]
    failing_with(context, "comfyui_execution_error", "node 7 (KSampler) failed")
    page = open_failed_task(context)
    row = page.locator(f".task[data-task-id='{TASK_ID}'] .task-error")
    row.filter(has_text=words["title"]).wait_for()
    alert = page.locator("main [role=alert]")
    assert alert.get_attribute("data-code") == "comfyui_execution_error"
    assert alert.locator(".error-title").inner_text() == words["title"]
    assert alert.locator(".error-hint").inner_text() == words["hint"]
    assert "node 7 (KSampler) failed" in alert.locator("details").text_content()  # folded: not shown
    assert page.errors == []


def test_a_code_only_the_server_knows_shows_the_servers_words(context: Any) -> None:
    def with_a_new_code(route: Any) -> None:
        body = route.fetch().json()
        body["data"]["errors"][SERVER_ONLY] = {
            "title": "The server's own words for this.",
            "hint": "The server's own advice.",
            "http_status": 409,
            "transient": False,
            "show_message": True,
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    context.route("**/api/options", with_a_new_code)
    failing_with(context, SERVER_ONLY, "the message, shown as it is")
    page = open_failed_task(context)
    alert = page.locator("main [role=alert]")
    alert.filter(has_text="The server's own words for this.").wait_for()
    assert alert.get_attribute("data-code") == SERVER_ONLY
    assert alert.locator(".error-hint").inner_text() == "The server's own advice."
    assert alert.locator(".error-detail").inner_text() == "the message, shown as it is"  # show_message
    row = page.locator(f".task[data-task-id='{TASK_ID}'] .task-error")
    assert row.inner_text() == "The server's own words for this."
    assert page.errors == []
