"""A STAND-IN for Cloudflare Images, written for these tests: not Cloudflare's code, and not a full copy.

It serves the parts of Cloudflare's documented HTTP API that ``CloudflareImagesStorage`` uses, with the
same paths, form fields and JSON envelope (``{"result", "success", "errors", "messages"}``):

- ``POST /client/v4/accounts/{account}/images/v1`` (multipart ``file``, ``id``, ``metadata``);
- ``GET|DELETE /client/v4/accounts/{account}/images/v1/{id}``, ``GET .../images/v1/{id}/blob``;
- ``GET /client/v4/accounts/{account}/images/v2`` (``per_page``, ``continuation_token``; newest first);
- ``GET /client/v4/accounts/{account}/images/v1/stats``;
- delivery ``GET /delivery/{account_hash}/{id}/{variant}`` (the original bytes: no resizing).

It enforces what the documentation states: a bearer token, images only (JPEG, PNG, GIF, WebP by their
bytes), 10 MB, 1024 bytes of metadata, custom ids that are not UUIDs and are not reused. The numeric
error codes are the stand-in's own. Each account is a separate, empty namespace.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .servers import free_port

TOKEN = "standin-token"
ACCOUNT_HASH = "standinhash"
MAX_BYTES = 10 * 1024 * 1024
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


@dataclass
class Image:
    id: str
    filename: str
    data: bytes
    content_type: str
    meta: dict[str, Any]
    uploaded: str

    def result(self) -> dict[str, Any]:
        variants = [f"https://imagedelivery.net/{ACCOUNT_HASH}/{self.id}/public"]
        return {
            "id": self.id,
            "filename": self.filename,
            "meta": self.meta,
            "uploaded": self.uploaded,
            "requireSignedURLs": False,
            "variants": variants,
        }


@dataclass
class Standin:
    """Every account's images; tests read it to see what the backend left behind."""

    accounts: dict[str, dict[str, Image]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    url: str = ""

    def images(self, account: str) -> dict[str, Image]:
        with self.lock:
            return self.accounts.setdefault(account, {})


def _envelope(result: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"result": result, "success": True, "errors": [], "messages": []}, status)


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {"result": None, "success": False, "errors": [{"code": code, "message": message}], "messages": []}
    return JSONResponse(body, status)


def _is_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _refusal(data: bytes, image_id: str, raw_meta: str) -> JSONResponse | None:
    if len(data) > MAX_BYTES:
        return _error(413, 5413, "Image is larger than 10 MB")
    if not _is_image(data):
        return _error(415, 9422, "Decode error: not a supported image")
    if not image_id or _UUID.fullmatch(image_id) or len(image_id) > 1024:
        return _error(400, 5400, "Bad request: invalid custom id")
    if len(raw_meta.encode()) > 1024:
        return _error(400, 5400, "Bad request: metadata must be at most 1024 bytes")
    return None


def build_app(standin: Standin) -> Starlette:
    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    async def upload(request: Request) -> Response:
        if not authorised(request):
            return _error(401, 10000, "Authentication error")
        form = await request.form()
        upload_file = form.get("file")
        image_id = str(form.get("id") or "")
        if upload_file is None or isinstance(upload_file, str):
            return _error(400, 5400, "Bad request: a file is required")
        data = await upload_file.read()
        raw_meta = str(form.get("metadata") or "{}")
        refusal = _refusal(data, image_id, raw_meta)
        if refusal is not None:
            return refusal
        images = standin.images(request.path_params["account"])
        with standin.lock:
            if image_id in images:
                return _error(409, 5409, "Resource already exists")
            uploaded = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
            image = Image(
                image_id,
                upload_file.filename or "",
                data,
                upload_file.content_type or "",
                json.loads(raw_meta),
                uploaded,
            )
            images[image_id] = image
        return _envelope(image.result())

    def found(request: Request) -> Image | Response:
        if not authorised(request):
            return _error(401, 10000, "Authentication error")
        image = standin.images(request.path_params["account"]).get(request.path_params["image_id"])
        return image if image is not None else _error(404, 5404, "Image not found")

    async def details(request: Request) -> Response:
        image = found(request)
        if not isinstance(image, Image):
            return image
        if request.method == "DELETE":
            with standin.lock:
                standin.images(request.path_params["account"]).pop(image.id, None)
            return _envelope({})
        return _envelope(image.result())

    async def blob(request: Request) -> Response:
        image = found(request)
        return Response(image.data, media_type=image.content_type) if isinstance(image, Image) else image

    async def list_v2(request: Request) -> Response:
        if not authorised(request):
            return _error(401, 10000, "Authentication error")
        per_page = min(int(request.query_params.get("per_page", "1000")), 10000)
        start = int(request.query_params.get("continuation_token") or 0)
        with standin.lock:
            newest_first = sorted(
                standin.images(request.path_params["account"]).values(), key=lambda i: i.uploaded
            )
        newest_first.reverse()
        page = newest_first[start : start + per_page]
        token = str(start + per_page) if start + per_page < len(newest_first) else None
        return _envelope({"images": [i.result() for i in page], "continuation_token": token})

    async def stats(request: Request) -> Response:
        if not authorised(request):
            return _error(401, 10000, "Authentication error")
        count = len(standin.images(request.path_params["account"]))
        return _envelope({"count": {"current": count, "allowed": 100000}})

    async def deliver(request: Request) -> Response:
        if request.path_params["account_hash"] != ACCOUNT_HASH:
            return Response(status_code=404)
        for images in list(standin.accounts.values()):
            image = images.get(request.path_params["image_id"])
            if image is not None:
                return Response(image.data, media_type=image.content_type)
        return Response(status_code=404)

    base = "/client/v4/accounts/{account}/images"
    return Starlette(
        routes=[
            Route(f"{base}/v1", upload, methods=["POST"]),
            Route(f"{base}/v1/stats", stats, methods=["GET"]),
            Route(f"{base}/v2", list_v2, methods=["GET"]),
            Route(base + "/v1/{image_id:path}/blob", blob, methods=["GET"]),
            Route(base + "/v1/{image_id:path}", details, methods=["GET", "DELETE"]),
            Route("/delivery/{account_hash}/{image_id:path}/{variant}", deliver, methods=["GET"]),
        ]
    )


@contextmanager
def running_standin() -> Iterator[Standin]:
    """The stand-in on a free loopback port in a background thread, for a whole test session."""
    standin = Standin()
    port = free_port()
    config = uvicorn.Config(
        build_app(standin), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("the Cloudflare Images stand-in did not start")
    standin.url = f"http://127.0.0.1:{port}"
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=5)
