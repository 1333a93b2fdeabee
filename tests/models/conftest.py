"""A real, misbehaving-on-demand HTTP server for model downloads (127.0.0.1, random port)."""

from __future__ import annotations

import random
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from faceswap.models.catalog import CATALOG, ModelSpec

_RANGE_RE = re.compile(r"bytes=(\d+)-$")


@dataclass
class ModelServer:
    """Serves ``files`` by name; knobs make it misbehave the way real mirrors do."""

    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    ignore_range: bool = False
    cut_after: int | None = None  # send this many body bytes of the next file response, then hang up
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    pause: threading.Event | None = None  # send half of each file body, then wait until this is set
    sending: threading.Event = field(default_factory=threading.Event)  # a file body has begun

    def add_model(self, spec: ModelSpec, body: bytes, *, wrong_hash: bool = False) -> None:
        crc = zlib.crc32(body) ^ (0xFFFFFFFF if wrong_hash else 0)
        self.files[spec.file] = body
        self.files[spec.hash_file] = f"{crc:08x}\n".encode()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            range_header = self.headers.get("Range")
            server.requests.append((self.path, range_header))
            if self.path.startswith("/redirect/"):
                self.send_response(302)
                self.send_header("Location", "/" + self.path.removeprefix("/redirect/"))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = server.files.get(self.path.lstrip("/").removeprefix("models/"))
            if body is None:
                self.send_error(404)
                return
            start = 0
            match = _RANGE_RE.match(range_header or "")
            if match and not server.ignore_range:
                start = int(match.group(1))
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            payload = body[start:]
            if server.cut_after is not None and not self.path.endswith(".hash"):
                payload = payload[: server.cut_after]
                server.cut_after = None
                self.close_connection = True
            if server.pause is not None and not self.path.endswith(".hash"):
                half = len(payload) // 2
                self.wfile.write(payload[:half])
                self.wfile.flush()
                server.sending.set()
                server.pause.wait(30)
                payload = payload[half:]
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    state = ModelServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/models"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def small_spec() -> ModelSpec:
    """A real catalog entry; tests serve a small stand-in body under its file name."""
    return CATALOG["scrfd_2.5g"]


@pytest.fixture
def model_body() -> bytes:
    """300 KB of incompressible bytes: several network chunks, so a cut leaves a partial file."""
    return random.Random(1234).randbytes(300_000)


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"
