"""An input host for tests: serves the target photo only once the test opens the gate, and records webhook
deliveries POSTed to it (so a task can be made to fail, then retried and made to succeed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.service.conftest import GRACE


@dataclass
class GatedHost:
    url: str
    """Base URL; any GET path answers (e.g. ``/target.jpg``)."""
    open: list[bool] = field(default_factory=lambda: [False])
    """``open[0]``: whether GETs get the photo (404 until then)."""
    received: list[dict[str, Any]] = field(default_factory=list)
    """JSON bodies POSTed to the host, in order."""


class _Handler(BaseHTTPRequestHandler):
    host: GatedHost

    def do_GET(self) -> None:
        if not self.host.open[0]:
            self.send_response(404)
            self.end_headers()
            return
        body = GRACE.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.host.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def gated_host() -> Iterator[GatedHost]:
    """A :class:`GatedHost` on a free loopback port, closed on exit."""
    host = GatedHost(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"host": host}))
    host.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield host
    finally:
        server.shutdown()
