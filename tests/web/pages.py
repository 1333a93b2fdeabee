"""Helpers for the browser tests: tasks made through the API, and the page opened with a task list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.service.live import wait_status

STORE_KEY = "faceswap.tasks.v1"
"""Where the page keeps its task list (localStorage)."""


def upload(client: httpx.Client, path: Path) -> str:
    answer = client.post("/api/upload", files={"file": (path.name, path.read_bytes())})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["file_id"])


def swap_task(client: httpx.Client, source: Path, target: Path, *, wait: bool = True) -> str:
    """A face swap task of ``source`` onto ``target`` (classic engine), finished unless ``wait`` is false."""
    wf = {"source_url": upload(client, source), "target_url": upload(client, target), "model": "classic"}
    created = client.post(
        "/api/tasks/create", json={"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    )
    assert created.status_code == 200, created.text
    task_id = str(created.json()["data"]["taskId"])
    if wait:
        assert wait_status(client, task_id, {"COMPLETED", "FAILED"}, timeout=120)["status"] == "COMPLETED"
    return task_id


def open_with(context: Any, entries: list[dict[str, Any]], path: str = "/") -> Any:
    """A page at ``path`` with ``entries`` in its task list, as if this browser had started them; its
    JavaScript errors collect in ``page.errors``."""
    context.add_init_script(
        f"localStorage.setItem({json.dumps(STORE_KEY)}, {json.dumps(json.dumps(entries))})"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path)
    page.wait_for_selector("body[data-ready=true]")
    page.errors = errors
    return page
