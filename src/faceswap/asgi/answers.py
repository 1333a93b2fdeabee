"""Errors as HTTP answers: the ``{"success": false, "error": {code, message}}`` envelope.

Every :class:`FaceswapError` becomes its ``http_status`` with its code and public message; request
validation errors (and a pydantic model that a route builds from the request and that fails validation)
become 422 ``bad_request``; Starlette's and FastAPI's own HTTP errors keep their status (404 ``not_found``,
else ``http_<status>``); anything else 500 ``internal_error`` (logged, never shown).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from faceswap.errors import FaceswapError, InputTooLargeError, public_message

logger = logging.getLogger(__name__)


def failure(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"success": False, "error": {"code": code, "message": public_message(message)}}
    return JSONResponse(body, status_code=status, headers=headers)


FORM_PART_TOO_LARGE = "exceeded maximum size"
"""Starlette's words (HTTP 400: "Field exceeded maximum size of 1024KB.", "Part exceeded ...") for a form
field over its size cap (1 MiB)."""


def _http_failure(exc: HTTPException) -> JSONResponse:
    """An HTTP error raised by Starlette or FastAPI in the envelope, its headers (``Allow`` on 405) kept."""
    if exc.status_code == 400 and FORM_PART_TOO_LARGE in str(exc.detail):
        return failure(
            413,
            InputTooLargeError.code,
            "a form field is over 1 MiB (a base64 input over about 750 KB): send the file as a multipart"
            " upload (POST /api/upload, or the route's file field) instead",
        )
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    return failure(exc.status_code, code, str(exc.detail), exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answers every error raised in ``app`` in the envelope (see the module's docstring)."""

    async def faceswap_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FaceswapError)
        return failure(exc.http_status, exc.code, exc.public())

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        parts = []
        for item in exc.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg")))
        return failure(422, "bad_request", "; ".join(parts) or "invalid request")

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _http_failure(exc)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return failure(500, "internal_error", "internal error; see the server log")

    app.add_exception_handler(FaceswapError, faceswap_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ValidationError, validation_error)  # a model built inside a route
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
