"""A client's retry of a FAILED or CANCELLED task (``POST /api/tasks/{id}/retry``, ``POST /api/retry/{id}``)
over real HTTP on each queue backend: a live ``faceswap serve`` (no in-process worker; a ``faceswap worker``
is started midway), local storage, the classic engine, a webhook receiver and an input host that refuses
the target until the test lets it through."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import ASTRONAUT, BACKEND_URLS, GRACE, reachable
from tests.service.gated_host import gated_host
from tests.service.live import start_server, wait_status

DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture
def host() -> Iterator[tuple[str, list[bool], list[dict[str, Any]]]]:
    with gated_host() as gated:
        yield gated.url, gated.open, gated.received


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


@pytest.mark.timeout(240)
@pytest.mark.parametrize("backend", list(BACKEND_URLS))
def test_retry_of_failed_and_cancelled_tasks(
    backend: str, tmp_path: Path, host: tuple[str, list[bool], list[dict[str, Any]]]
) -> None:
    url = BACKEND_URLS[backend]
    if backend != "sqlite" and not reachable(url):
        pytest.skip(f"{backend} server not reachable at {url}")
    queue_env = {"FACESWAP_QUEUE__NAME": f"retry-{uuid.uuid4().hex[:12]}"}
    if backend != "sqlite":
        queue_env["FACESWAP_QUEUE__URL"] = url
    base, serving, received = host
    live = start_server(tmp_path / "live", workers=0, extra_env=queue_env)
    try:
        with live.client() as client:

            def upload(path: Path) -> str:
                return str(
                    client.post("/api/upload", files={"file": (path.name, path.read_bytes())}).json()["data"][
                        "file_id"
                    ]
                )

            def create(target: str, source: str, webhook: str | None = None) -> str:
                wf = {"source_url": source, "target_url": target}
                body = {
                    "workflow": "face_swap",
                    "params": {"input_data": {"wf_json": wf}},
                    "webhook": webhook,
                }
                response = client.post("/api/tasks/create", json=body)
                assert response.status_code == 200, response.text
                return str(response.json()["data"]["taskId"])

            source = upload(ASTRONAUT)
            # pending (no worker yet): not retryable; cancelled: back to PENDING under the same id
            cancelled = create(upload(GRACE), source)
            refused(client.post(f"/api/tasks/{cancelled}/retry"), 409, "task_not_retryable")
            assert client.post(f"/api/tasks/{cancelled}/cancel").json()["data"]["status"] == "CANCELLED"
            again = client.post(f"/api/retry/{cancelled}").json()["data"]  # the legacy route
            assert (again["job_id"], again["status"], again["progress"], again["retries"]) == (
                cancelled,
                "pending",
                0.0,
                1,
            )
            # fails for good (the target URL answers 404), with a webhook
            hook = f"{base}/hook"
            failing = create(f"{base}/target.jpg", source, webhook=hook)
            expiring_source = upload(ASTRONAUT)
            expiring = create(f"{base}/target.jpg", expiring_source)
            refused(client.post(f"/api/tasks/{uuid.uuid4().hex}/retry"), 404, "not_found")

            live.start_worker()
            done = wait_status(client, cancelled, DONE, timeout=120)
            assert done["status"] == "COMPLETED", done["error"]
            assert done["retries"] == 1
            refused(client.post(f"/api/tasks/{cancelled}/retry"), 409, "task_not_retryable")
            refused(client.post(f"/api/retry/{cancelled}"), 409, "task_not_retryable")
            first = wait_status(client, failing, DONE)
            assert first["status"] == "FAILED"
            assert first["error"]["code"] == "url_unusable"
            assert wait_status(client, expiring, DONE)["status"] == "FAILED"

            # the input host serves the target now: the failed task runs again and completes
            serving[0] = True
            retried = client.post(f"/api/tasks/{failing}/retry")
            assert retried.status_code == 200, retried.text
            data = retried.json()["data"]
            assert data["taskId"] == failing
            assert data["retries"] == 1
            assert data["status"] in ("PENDING", "PROCESSING")
            assert data["error"] is None
            done = wait_status(client, failing, DONE)
            assert done["status"] == "COMPLETED", done["error"]
            assert done["attempts"] == first["attempts"] + 1
            output = str(done["result"]["output_url"])  # type: ignore[index]
            assert client.get(output).status_code == 200
            deadline = time.monotonic() + 20
            while [b["status"] for b in received if b["status"] in DONE] != ["FAILED", "COMPLETED"]:
                assert time.monotonic() < deadline, f"webhooks: {[b['status'] for b in received]}"
                time.sleep(0.05)
            assert {b["taskId"] for b in received} == {failing}
            assert received[-1]["retries"] == 1

            # an input upload deleted (retention): a stable error, and the task is left as it was
            stored = [f for f in (tmp_path / "live").rglob(f"*{expiring_source}*") if f.is_file()]
            assert stored
            for path in stored:
                path.unlink()
            before = client.get(f"/api/tasks/{expiring}").json()["data"]
            refused(client.post(f"/api/tasks/{expiring}/retry"), 410, "input_expired")
            assert client.get(f"/api/tasks/{expiring}").json()["data"] == before
    finally:
        live.stop()
