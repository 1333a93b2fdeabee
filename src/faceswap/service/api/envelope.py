"""``{success, data | error}`` envelopes: the answer models of the OpenAPI schema.

A route's JSON answer is an :class:`Envelope` of its data model (``Envelope[Task]`` ...), so the OpenAPI
schema describes every field a client gets; a :class:`Sparse` model's answer holds only the fields it was
given (a field that some answers lack is absent from them, not ``null``). Errors become
:class:`ErrorEnvelope` answers in :mod:`faceswap.asgi.answers`.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

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
