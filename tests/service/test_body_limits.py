"""Request bodies are bounded before they are read: a declared ``Content-Length`` over the bound is refused
without reading a byte, a chunked body is cut off as it passes the bound (multipart and JSON alike, the
API and ``faceswap engine-serve``); bodies within the bounds are served as before."""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message

from faceswap.config import InputLimits, Settings
from faceswap.engine_server.app import create_engine_app, max_body_bytes
from faceswap.service.api.app import create_app
from tests.service.conftest import GRACE
from tests.service.helpers import service_settings
from tests.service.live import Live, start_server

KIB = 1024
MIB = 1024 * KIB
CHUNK = 64 * KIB
LIMITS = InputLimits(max_bytes=1 * MIB, max_body_bytes=32 * KIB)  # multipart: 2 x 1 MiB + 1 MiB


@dataclass
class Exchange:
    """What one request to an ASGI app read of the body it was offered, and what it answered."""

    read: int = 0
    messages: list[Message] = field(default_factory=list)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def error(self) -> dict[str, Any]:
        body = json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))
        assert body["success"] is False
        return dict(body["error"])


async def post(app: ASGIApp, path: str, headers: dict[str, str], body: Iterator[bytes]) -> Exchange:
    """POSTs ``body`` (offered chunk by chunk, as a client streams it) to ``app``, without its lifespan."""
    exchange = Exchange()

    async def receive() -> Message:
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        exchange.read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        exchange.messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    return exchange


def endless(content_type: str = "") -> Iterator[bytes]:
    """A body far over every bound (16 MiB): for multipart, one file part whose bytes go on and on."""
    sent = 0
    if content_type.startswith("multipart/"):
        head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'
        yield head + b"x" * (CHUNK - len(head))
        sent = CHUNK
    while sent < 16 * MIB:
        yield b"x" * CHUNK
        sent += CHUNK


def settings_for(tmp_path: Path) -> Settings:
    return service_settings(tmp_path).model_copy(update={"limits": LIMITS})


def assert_refused(exchange: Exchange, limit: int) -> None:
    assert exchange.status == 413
    assert exchange.headers["connection"] == "close"
    error = exchange.error
    assert error["code"] == "input_too_large"
    assert str(limit) in error["message"]


MULTIPART = "multipart/form-data; boundary=xyz"
WORKER_TOKEN = "body-limit-test-worker-token"


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/api/upload", MULTIPART, LIMITS.multipart_bytes),
        ("/api/multi-image-swap", MULTIPART, LIMITS.multipart_bytes),
        ("/api/tasks/create", "application/json", LIMITS.max_body_bytes),
        ("/api/single-image-swap", "application/x-www-form-urlencoded", LIMITS.max_body_bytes),
    ],
)
async def test_a_declared_length_over_the_bound_is_refused_before_any_byte_is_read(
    tmp_path: Path, path: str, content_type: str, limit: int
) -> None:
    app = create_app(settings_for(tmp_path))
    headers = {"content-type": content_type, "content-length": str(limit + 1)}
    exchange = await post(app, path, headers, endless())
    assert_refused(exchange, limit)
    assert exchange.read == 0


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/api/upload", MULTIPART, LIMITS.multipart_bytes),
        ("/api/tasks/create", "application/json", LIMITS.max_body_bytes),
        ("/api/face-swap/process", "application/json", LIMITS.max_body_bytes),
        ("/api/single-image-swap", "application/x-www-form-urlencoded", LIMITS.max_body_bytes),
        ("/api/tasks/create", "", LIMITS.max_body_bytes),  # no content type: not multipart
    ],
)
async def test_a_chunked_body_is_cut_off_as_it_passes_the_bound(
    tmp_path: Path, path: str, content_type: str, limit: int
) -> None:
    app = create_app(settings_for(tmp_path))
    headers = {"content-type": content_type} if content_type else {}
    exchange = await post(app, path, headers, endless(content_type))
    assert_refused(exchange, limit)
    assert limit < exchange.read <= limit + CHUNK


def test_the_multipart_bound_makes_room_for_a_source_and_a_target_unless_set() -> None:
    assert InputLimits().multipart_bytes == 2 * 200 * MIB + MIB
    assert InputLimits(max_bytes=10 * MIB).multipart_bytes == 21 * MIB
    assert InputLimits(max_bytes=10 * MIB, max_multipart_bytes=50 * MIB).multipart_bytes == 50 * MIB
    assert InputLimits().max_body_bytes == 32 * MIB


def test_bodies_within_the_bounds_are_served(tmp_path: Path) -> None:
    """A photo over the JSON bound uploads as multipart, and a small JSON body reaches its route."""
    photo = GRACE.read_bytes()
    assert LIMITS.max_body_bytes < len(photo) < LIMITS.max_bytes
    with TestClient(create_app(settings_for(tmp_path))) as client:
        uploaded = client.post("/api/upload", files={"file": ("g.jpg", photo)})
        assert uploaded.status_code == 200, uploaded.text
        answer = client.post("/api/tasks/create", json={"workflow": "face_swap"})
        assert answer.status_code == 422  # read and validated: not refused for its size
        assert answer.json()["error"]["code"] == "bad_request"


async def test_engine_serve_bounds_its_json_bodies(tmp_path: Path) -> None:
    """Its bodies carry a swap's inputs inline as data: URLs: up to a multipart request's bound, base64."""
    app = create_engine_app(settings_for(tmp_path))
    limit = max_body_bytes(LIMITS)
    assert limit == 4 * MIB  # 3 MiB base64-encoded
    headers = {"content-type": "application/json", "content-length": str(limit + 1)}
    declared = await post(app, "/process", headers, endless())
    assert_refused(declared, limit)
    assert declared.read == 0
    chunked = await post(app, "/process", {"content-type": "application/json"}, endless())
    assert_refused(chunked, limit)
    assert limit < chunked.read <= limit + CHUNK


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    env = {
        "FACESWAP_LIMITS__MAX_BYTES": str(LIMITS.max_bytes),
        "FACESWAP_LIMITS__MAX_BODY_BYTES": str(256 * KIB),
    }
    server = start_server(
        tmp_path_factory.mktemp("live"), workers=0, extra_env=env, worker_tokens=WORKER_TOKEN
    )
    try:
        yield server
    finally:
        server.stop()


def connect(live: Live) -> socket.socket:
    address = urlsplit(live.url)
    return socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=10)


def request_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(
    sock: socket.socket, *, until_closed: bool = True
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """The status, headers and JSON body of the answer. ``until_closed``: read until the server closes the
    connection (a reset once the answer is in counts as closed: the server drops what it did not read)."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if not until_closed and length and len(body) >= int(length.group(1)):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def test_a_live_server_refuses_a_declared_length_before_the_body_is_sent(live: Live) -> None:
    """1.5 GiB declared, not a byte of it sent: the 413 comes at once and the connection is closed."""
    headers = {"Content-Type": MULTIPART, "Content-Length": str(1536 * MIB)}
    with connect(live) as sock:
        sock.sendall(request_head("/api/upload", headers))
        status, answer_headers, body = read_answer(sock)
    assert status == 413
    assert answer_headers["connection"] == "close"
    assert body["error"]["code"] == "input_too_large"


def test_a_live_server_cuts_a_chunked_body_off_at_the_bound(live: Live) -> None:
    """A chunked JSON body is sent slowly (16 KiB at a time) until the server answers: it answers 413 and
    closes the connection soon after the bound (256 KiB), far before the 8 MiB the client had to send."""
    piece = b"x" * (16 * KIB)
    frame = b"%x\r\n%s\r\n" % (len(piece), piece)
    sent = 0
    with connect(live) as sock:
        sock.sendall(
            request_head(
                "/api/tasks/create", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
            )
        )
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # closed by the server
            while sent < 8 * MIB and not select.select([sock], [], [], 0.02)[0]:
                sock.sendall(frame)
                sent += len(piece)
        status, answer_headers, body = read_answer(sock)
    assert status == 413
    assert answer_headers["connection"] == "close"
    assert body["error"]["code"] == "input_too_large"
    assert str(256 * KIB) in body["error"]["message"]
    assert sent < 2 * MIB


def test_a_result_upload_without_a_worker_token_is_refused_before_its_body_is_read(live: Live) -> None:
    """Remote workers' result uploads are not bounded (results have no size limit), so the token is
    checked before the body is read: 1.5 GiB declared, nothing sent, 401 at once."""
    headers = {"Content-Type": MULTIPART, "Content-Length": str(1536 * MIB)}
    with connect(live) as sock:
        sock.sendall(request_head("/api/comm/task/abc/files", headers))
        status, _, body = read_answer(sock, until_closed=False)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_a_workers_result_upload_is_not_bounded_by_the_multipart_bound(live: Live) -> None:
    """With a worker token a result larger than the multipart bound (3 MiB here) is read whole: the
    answer is about the lease (none is held), not the size."""
    photo = GRACE.read_bytes()  # a result must be an image or a video by its bytes
    files = {"file": ("output.jpg", photo + b"\0" * (LIMITS.multipart_bytes + MIB - len(photo)))}
    headers = {"Authorization": f"Bearer {WORKER_TOKEN}", "X-Lease-Id": "no-such-lease"}
    with live.client() as client:
        answer = client.post("/api/comm/task/abc/files", files=files, headers=headers)
    assert answer.json()["error"]["code"] != "input_too_large"
    assert answer.status_code in (404, 409)
