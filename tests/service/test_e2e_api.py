"""End to end over real HTTP: a live ``faceswap serve`` (SQLite queue, local storage, one in-process
worker, classic engine) and the shared photos."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from faceswap.service.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import Live, start_server, wait_status

SECRET = "webhook-test-secret"
DONE = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = start_server(tmp_path_factory.mktemp("live"), max_upload_mb="2", webhook_secret=SECRET)
    try:
        yield server
    finally:
        server.stop()


def files(**paths: Path) -> dict[str, Any]:
    return {name: (path.name, path.read_bytes()) for name, path in paths.items()}


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_image_task_from_upload_to_download(live: Live) -> None:
    with live.client() as client:
        source = client.post("/api/upload", files=files(file=ASTRONAUT)).json()["data"]
        assert source["media_type"] == "png"
        created = client.post(
            "/api/single-image-swap",
            data={"source_file_id": source["file_id"]},
            files=files(target_image=GRACE),
        ).json()
        assert created["success"] is True
        assert created["data"]["status"] == "pending"
        task = wait_status(client, created["data"]["job_id"], DONE)
        assert task["status"] == "COMPLETED", task["error"]
        status = client.get(f"/api/status/{task['taskId']}").json()["data"]
        assert status["status"] == "completed"
        assert status["progress"] == 100.0
        download = client.get(status["result_url"])
        assert download.status_code == 200
        assert download.headers["content-type"] == "image/jpeg"
        result = np.asarray(Image.open(io.BytesIO(download.content)).convert("L"), dtype=np.int16)
        original = np.asarray(Image.open(GRACE).convert("L"), dtype=np.int16)
        assert result.shape == original.shape
        changed = np.abs(result - original) > 24
        assert changed[130:340, 175:360].mean() > 0.05  # the face region changed
        assert changed[:100].mean() < 0.01  # the rest did not
        listed = client.get("/api/tasks", params={"status": "COMPLETED"}).json()["data"]
        assert task["taskId"] in [t["taskId"] for t in listed["tasks"]]
        assert client.post(f"/api/cancel/{task['taskId']}").status_code == 409


def test_multi_face_task_with_a_mapping(live: Live, tmp_path: Path) -> None:
    left, right = Image.open(ASTRONAUT).convert("RGB"), Image.open(GRACE).convert("RGB")
    group = Image.new("RGB", (left.width + right.width + 64, max(left.height, right.height)), (128, 128, 128))
    group.paste(left, (0, 0))
    group.paste(right, (left.width + 64, 0))
    with live.client() as client:
        created = client.post(
            "/api/multi-image-swap",
            data={"mapping": '{"0": 1, "1": 0}'},
            files=[
                ("source_images", ("a.png", ASTRONAUT.read_bytes())),
                ("source_images", ("g.jpg", GRACE.read_bytes())),
                ("target_image", ("group.png", png(group))),
            ],
        ).json()
        task = wait_status(client, created["data"]["job_id"], DONE)
        assert task["status"] == "COMPLETED", task["error"]
        assert task["result"]["faces_found"] == 2
        assert task["result"]["faces_swapped"] == 2
        assert task["result"]["content_type"] == "image/png"


def test_idempotent_creation(live: Live) -> None:
    with live.client() as client:
        upload = client.post("/api/upload", files=files(file=ASTRONAUT)).json()["data"]
        body = {"source_url": upload["file_id"], "target_url": upload["file_id"]}
        headers = {"Idempotency-Key": f"idem-{time.time()}"}
        first = client.post("/api/face-swap/create-task", json=body, headers=headers).json()
        again = client.post("/api/face-swap/create-task", json=body, headers=headers).json()
        assert first["status"] == "PENDING"
        assert again["task_id"] == first["task_id"]
        other = client.post("/api/face-swap/create-task", json={**body, "model": "classic"}, headers=headers)
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "conflict"


def test_events_stream_until_the_task_finishes(live: Live) -> None:
    with live.client() as client:
        upload = client.post("/api/upload", files=files(file=ASTRONAUT)).json()["data"]
        wf = {"source_url": upload["file_id"], "target_url": upload["file_id"]}
        body = {"workflow_name": "face_swap", "params": {"input_data": {"wf_json": wf}}}
        task = client.post("/api/tasks/create", json=body).json()["data"]
        events: list[tuple[str, dict[str, Any]]] = []
        with client.stream("GET", f"/api/tasks/{task['taskId']}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
        assert events[-1][0] == "completed"
        assert events[-1][1]["result"]["faces_swapped"] == 1
        assert len(events) >= 2


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]
    failures_left: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.failures_left[0] > 0:  # the first delivery fails: the sender must retry
            self.failures_left[0] -= 1
            self.send_response(503)
        else:
            self.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_webhook_is_signed_and_retried(live: Live) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("H", (Receiver,), {"received": received, "failures_left": [1]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with live.client() as client:
            upload = client.post("/api/upload", files=files(file=ASTRONAUT)).json()["data"]
            hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
            body = {"source_url": upload["file_id"], "target_url": upload["file_id"], "webhook": hook}
            task_id = client.post("/api/face-swap/create-task", json=body).json()["task_id"]
            wait_status(client, task_id, DONE)
            deadline = time.monotonic() + 20
            while not any(json.loads(b)["status"] == "COMPLETED" for _, b in received):
                assert time.monotonic() < deadline, "no COMPLETED webhook arrived"
                time.sleep(0.05)
    finally:
        server.shutdown()
    for headers, body in received:
        assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert json.loads(body)["taskId"] == task_id
    assert not verify(
        "other-secret", received[0][0][TIMESTAMP_HEADER], received[0][1], received[0][0][SIGNATURE_HEADER]
    )


def test_bad_inputs_get_clear_errors(live: Live) -> None:
    grey = png(Image.new("RGB", (256, 256), (128, 128, 128)))
    corrupt = png(Image.open(ASTRONAUT))[:2000]
    with live.client() as client:
        wrong = client.post("/api/upload", files={"file": ("x.png", b"%PDF-1.4 not an image" * 10)})
        assert wrong.status_code == 415
        assert wrong.json() == {"success": False, "error": wrong.json()["error"]}
        assert wrong.json()["error"]["code"] == "unsupported_format"
        big = client.post("/api/upload", files={"file": ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(3 << 20))})
        assert big.status_code == 413
        assert big.json()["error"]["code"] == "input_too_large"
        assert client.get("/api/status/unknown").status_code == 404
        assert client.get("/api/tasks/unknown").json()["error"]["code"] == "not_found"
        assert client.get("/api/download/results/nope/output.png").status_code == 404
        assert client.get("/api/download/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
        # a truncated image is refused at the edge (its header is parsed there) with the stable code
        refused = client.post(
            "/api/single-image-swap",
            files={"source_image": ("s.png", ASTRONAUT.read_bytes()), "target_image": ("t.png", corrupt)},
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "unreadable_input"
        # a photo without a face is only found out by a worker: the task ends FAILED with the code
        created = client.post(
            "/api/single-image-swap",
            files={"source_image": ("s.png", grey), "target_image": ("t.png", GRACE.read_bytes())},
        ).json()
        assert created.get("success") is True, created
        task = wait_status(client, created["data"]["job_id"], DONE)
        assert task["status"] == "FAILED"
        assert task["error"]["code"] == "no_face_in_source"
        status = client.get(f"/api/status/{task['taskId']}").json()["data"]
        assert status["status"] == "failed"
        assert status["error_message"]
        process = client.post(
            "/api/face-swap/process",
            json={
                "source_url": "data:image/png;base64," + _b64(grey),
                "target_url": "data:image/jpeg;base64," + _b64(GRACE.read_bytes()),
            },
        )
        assert process.status_code == 422
        assert process.json()["error"]["code"] == "no_face_in_source"


def test_process_waits_and_returns_the_result_inline(live: Live) -> None:
    with live.client() as client:
        body = {
            "source_url": "data:image/png;base64," + _b64(ASTRONAUT.read_bytes()),
            "target_url": "data:image/jpeg;base64," + _b64(GRACE.read_bytes()),
            "return_base64": True,
        }
        answer = client.post("/api/face-swap/process", json=body)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["status"] == "success"
        assert data["metadata"]["storage_provider"] == "file"
        import base64

        inline = base64.b64decode(data["image_base64"])
        assert inline == client.get(data["output_path"]).content
        health = client.get("/api/health").json()
        assert health["status"] == "ok"
        assert health["workers"]["count"] == 1
        assert health["models"]["inswapper_128"] == "missing"
        assert "/api/face-swap/process" in client.get("/openapi.json").json()["paths"]


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
