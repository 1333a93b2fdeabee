"""Real local servers for the SSRF tests: an HTTP(S) test server, and a trap that must never be reached.

The trap is a listening socket nobody accepts on: the kernel completes any TCP handshake into its
backlog, so a non-blocking ``accept`` tells whether anything connected at all.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

FACES_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
PNG_BYTES = (FACES_DIR / "astronaut.png").read_bytes()


class Trap:
    """A socket listening on 127.0.0.1 that records whether any connection reached it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    t = Trap()
    yield t
    t.close()


class Handler(BaseHTTPRequestHandler):
    """Routes: /image, /echo, /redirect?to=URL, /chain?n=K, /big?n=N[&length=0], /slow, /status?code=C."""

    server: LocalHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse would show

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = getattr(self, "route_" + url.path.strip("/"), None)
        if route is None:
            self.send_error(404)
            return
        route(query)

    def respond(self, body: bytes, content_type: str = "application/octet-stream", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_image(self, query: dict[str, str]) -> None:
        self.respond(PNG_BYTES, "image/png")

    def route_echo(self, query: dict[str, str]) -> None:
        info = {"host": self.headers.get("Host"), "sni": getattr(self.server, "sni", None)}
        self.respond(json.dumps(info).encode(), "application/json")

    def route_redirect(self, query: dict[str, str]) -> None:
        self.send_response(302)
        self.send_header("Location", query["to"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_chain(self, query: dict[str, str]) -> None:
        n = int(query["n"])
        if n == 0:
            self.respond(b"end of chain", "text/plain")
            return
        self.route_redirect({"to": f"/chain?n={n - 1}"})

    def route_big(self, query: dict[str, str]) -> None:
        n = int(query["n"])
        self.send_response(200)
        if query.get("length", "1") == "1":
            self.send_header("Content-Length", str(n))
        self.end_headers()
        self.close_connection = True
        try:
            for start in range(0, n, 65536):
                self.wfile.write(b"x" * min(65536, n - start))
        except OSError:  # the client stopped reading at its limit
            pass

    def route_slow(self, query: dict[str, str]) -> None:
        """Headers at once, then one byte every 0.1 s: never idle long enough for a read timeout."""
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def route_status(self, query: dict[str, str]) -> None:
        self.respond(b"status", "text/plain", status=int(query["code"]))


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[str]
    sni: str | None = None


@dataclass
class Server:
    port: int
    httpd: LocalHTTPServer
    scheme: str = "http"
    sni_seen: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests


def _serve(httpd: LocalHTTPServer) -> Iterator[None]:
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@contextmanager
def serving() -> Iterator[Server]:
    """The local HTTP server (routes: :class:`Handler`) until the block ends."""
    httpd = LocalHTTPServer(("127.0.0.1", 0), Handler)
    for _ in _serve(httpd):
        yield Server(port=httpd.server_address[1], httpd=httpd)


@pytest.fixture
def server() -> Iterator[Server]:
    with serving() as running:
        yield running


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts the test CA (and verifies host names, as the default does)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Server]:
    """HTTPS with a certificate for ``files.test`` only; records the TLS server name clients sent."""
    httpd = LocalHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("files.test").configure_cert(context)
    result = Server(port=httpd.server_address[1], httpd=httpd, scheme="https")

    def remember(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, ctx: ssl.SSLContext) -> None:
        result.sni_seen.append(name or "")
        httpd.sni = name

    context.sni_callback = remember
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    for _ in _serve(httpd):
        yield result
