"""``{success, data | error}`` envelopes: ``ok`` and the error answer's models for the OpenAPI schema.

Errors become these answers in :mod:`faceswap.asgi.answers`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}
