"""``{success, data | error}`` envelopes, and the edge where errors become HTTP answers.

Every :class:`FaceswapError` becomes its ``http_status`` with ``{"success": false, "error": {code,
message}}``; request validation errors become 422 ``bad_request``; anything else 500 ``internal_error``
(logged, never shown).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from faceswap.errors import FaceswapError

logger = logging.getLogger(__name__)


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def failure(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": {"code": code, "message": message}}, status_code=status)


def error_class(code: str) -> type[FaceswapError]:
    """The error class with ``code`` (for a task's recorded error); the base class if none matches."""
    pending: list[type[FaceswapError]] = [FaceswapError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return FaceswapError


def install_error_handlers(app: FastAPI) -> None:
    async def faceswap_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FaceswapError)
        return failure(exc.http_status, exc.code, exc.message)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for item in exc.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg")))
        return failure(422, "bad_request", "; ".join(parts) or "invalid request")

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        return failure(exc.status_code, code, str(exc.detail))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return failure(500, "internal_error", "internal error; see the server log")

    app.add_exception_handler(FaceswapError, faceswap_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
