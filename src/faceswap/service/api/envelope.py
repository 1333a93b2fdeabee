"""``{success, data | error}`` envelopes, and the edge where errors become HTTP answers.

A route's JSON answer is an :class:`Envelope` of its data model (``Envelope[Task]``...), so the OpenAPI
schema describes every field a client gets; a :class:`Sparse` model's answer holds only the fields it was
given (a field that some answers lack is absent from them, not ``null``). Every :class:`FaceswapError` becomes its ``http_status`` with ``{"success": false, "error": {code,
message}}``; request validation errors (and a pydantic model that a route builds from the request and
that fails validation) become 422 ``bad_request``; anything else 500 ``internal_error``
(logged, never shown).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, ValidationError, model_serializer
from starlette.exceptions import HTTPException

from faceswap.errors import FaceswapError, InputTooLargeError, public_message

logger = logging.getLogger(__name__)


DataT = TypeVar("DataT")


class Envelope(BaseModel, Generic[DataT]):
    """Every successful JSON answer of the ``/api`` routes: ``{"success": true, "data": ...}``."""

    success: Literal[True] = True
    data: DataT


class Sparse(BaseModel):
    """An answer model whose JSON holds only the fields it was given (built with, or validated from a
    dict with): its optional fields are absent from the answers that lack them."""

    # unannotated on purpose: pydantic then describes the model's own fields in the JSON schema
    @model_serializer(mode="wrap")
    def _given_fields(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        dumped = handler(self)
        return {name: value for name, value in dumped.items() if name in self.model_fields_set}


class ErrorBody(BaseModel):
    code: str = Field(description="stable error code (README: error codes)")
    message: str = Field(description="what went wrong, in plain words")


class ErrorEnvelope(BaseModel):
    """Every error answer of the API."""

    success: Literal[False] = False
    error: ErrorBody


def _answer(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _answer("malformed request (a body that cannot be parsed)"),
    401: _answer("an API key (or worker token) is needed: `unauthorized`"),
    404: _answer("no such task or file: `not_found`"),
    409: _answer("the task is not in a state that allows this: `conflict`, `task_not_retryable` ..."),
    413: _answer("an input or the body is over its limit: `input_too_large`"),
    415: _answer("an input is not a supported image or video: `unsupported_format`"),
    422: _answer("a field is invalid: `bad_request`, `bad_option`, `url_forbidden` ..."),
    429: _answer("over the key's rate limit: `rate_limited` (see `Retry-After`)"),
    503: _answer("the queue, the storage or an engine is unavailable"),
}
"""The error answers every API route may give, declared in each operation of the OpenAPI schema."""


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


def error_class(code: str) -> type[FaceswapError]:
    """The error class with ``code`` (for a task's recorded error); the base class if none matches."""
    pending: list[type[FaceswapError]] = [FaceswapError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return FaceswapError


def recorded_error(code: str, message: str) -> FaceswapError:
    """The error a task recorded as ``{code, message}``, of the class with ``code`` (only the code and
    message travel, so a subclass' own ``__init__``, whose arguments may differ, is skipped)."""
    cls = error_class(code)
    error = cls.__new__(cls)
    FaceswapError.__init__(error, message)
    return error


def install_error_handlers(app: FastAPI) -> None:
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
