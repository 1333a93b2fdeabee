"""Request bodies bounded before they are read: ``BodyLimitMiddleware``, a pure ASGI middleware.

Each request gets a byte bound from its content type (:class:`BodyBounds`): ``multipart/form-data``
(file uploads) one, any other body (JSON, url-encoded forms, no type at all) another, much smaller one.

- A request that declares a ``Content-Length`` over its bound is answered 413 ``input_too_large`` at
  once: the app never runs and not a byte of the body is read.
- A body without a declared length (chunked) is counted as the app reads it. The read that would pass
  the bound raises :class:`~faceswap.errors.InputTooLargeError` instead of handing the bytes over, and
  the request is answered with the same 413, whatever the app made of that error (FastAPI turns a body
  that fails to read into a 400; that answer is replaced).

Both answers are the ``{"success": false, "error": {code, message}}`` envelope with ``Connection:
close``, so the server drops the connection instead of reading the rest of the body.

This bounds what a request costs to read (parsed JSON held in memory, multipart files spooled to the
temp folder); each file's own limit (``limits.max_bytes``) is still checked as it is stored
(:mod:`faceswap.storage.uploads`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceswap.asgi.answers import failure
from faceswap.errors import InputTooLargeError

logger = logging.getLogger(__name__)

MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class BodyBounds:
    """The most bytes a request body may have: ``multipart`` for multipart/form-data, ``other`` else.

    Multipart requests to paths under a prefix of ``multipart_exempt`` are not bounded here.
    """

    multipart: int
    other: int
    multipart_exempt: tuple[str, ...] = ()

    def bound(self, path: str, headers: Headers) -> tuple[int, InputTooLargeError] | None:
        """The bound of a request to ``path`` with ``headers`` and the error that refuses a body over it;
        None when it has none."""
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type == MULTIPART:
            if path.startswith(self.multipart_exempt):
                return None
            limit, what = self.multipart, "a multipart request (all its files and fields together)"
        else:
            limit, what = self.other, "a request body that is not multipart (JSON, url-encoded form)"
        return limit, InputTooLargeError(f"the request is larger than the limit of {limit} bytes for {what}")


def declared_length(headers: Headers) -> int | None:
    """The ``Content-Length`` a request declares; None when it declares none (chunked) or none that parses."""
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


async def refuse(error: InputTooLargeError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answers ``error`` as its 413 envelope and asks the server to close the connection."""
    logger.info("%s %s refused: %s", scope["method"], scope["path"], error.message)
    response = failure(error.http_status, error.code, error.message)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


class BodyLimitMiddleware:
    """Bounds every HTTP request's body by ``bounds`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, bounds: BodyBounds) -> None:
        self.app = app
        self.bounds = bounds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        bound = self.bounds.bound(scope["path"], headers)
        if bound is None:
            await self.app(scope, receive, send)
            return
        limit, error = bound
        declared = declared_length(headers)
        if declared is not None and declared > limit:
            await refuse(error, scope, receive, send)
            return
        await CountedBody(self.app, limit, error)(scope, receive, send)


class CountedBody:
    """One request, its body counted as the app reads it and cut off past ``limit`` with ``error``."""

    def __init__(self, app: ASGIApp, limit: int, error: InputTooLargeError) -> None:
        self.app = app
        self.limit = limit
        self.error = error
        self.received = 0
        self.over = False
        self.app_answered = False  # the app's response began before the cut-off: it goes on unchanged
        self.refused = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.over = True
                    raise self.error
            return message

        async def checked_send(message: Message) -> None:
            if self.over and not self.app_answered:
                # the app's answer to the error it was handed: ours instead, the rest dropped
                await self._refuse(scope, receive, send)
                return
            self.app_answered = self.app_answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, checked_send)
        except Exception:
            if not self.over or self.app_answered:
                raise
            logger.debug("%s %s: the app stopped on the cut-off body", scope["method"], scope["path"])
        if self.over and not self.app_answered:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.refused:
            self.refused = True
            await refuse(self.error, scope, receive, send)
