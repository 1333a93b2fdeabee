"""Inputs at the API edge: uploads checked by content and size, stored under ``uploads/``.

Multipart files and ``data:``/base64 inputs are stored (:mod:`faceswap.storage.uploads`, so a job never
carries megabytes) and become file ids; file ids must exist; ``http(s)://`` URLs pass through to the worker, which downloads them.

Limits (``settings.limits``) are checked here as far as the API process can without video libraries:
every input's bytes (``max_bytes``) and type by content; images also by a header parse (pixel count,
:func:`faceswap.limits.check_media`). A video's length, frames and frame size need PyAV, which the API
process never imports: the worker checks them with the same function before any work and fails the
task ``input_too_large``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import UploadFile

from faceswap.config import FetchSettings
from faceswap.errors import (
    BadOptionError,
    InputError,
    InputExpiredError,
    InputTooLargeError,
    NotFoundError,
    UnreadableInputError,
    UnsupportedFormatError,
)
from faceswap.imaging.sniff import SNIFF_BYTES
from faceswap.net.addresses import AddressPolicy
from faceswap.net.fetch import check_literal
from faceswap.service.tasks.inputs import task_inputs
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.refs import decode_base64, decode_data_url, stored_key
from faceswap.storage.base import Storage
from faceswap.storage.uploads import Limits, Uploaded, as_limits, store_bytes, store_upload

CHUNK = 1024 * 1024


async def store_file(storage: Storage, upload: UploadFile, limits: Limits) -> Uploaded:
    """Stores a multipart file (checked by content, never by its name or declared type)."""
    limits = as_limits(limits)
    if upload.size is not None and upload.size > limits.max_bytes:
        raise InputTooLargeError(
            f"{upload.filename or 'the file'} is larger than the limit of {limits.max_bytes} bytes"
        )
    head = await upload.read(max(SNIFF_BYTES, CHUNK))

    async def rest() -> AsyncIterator[bytes]:
        while chunk := await upload.read(CHUNK):
            yield chunk

    try:
        return await store_upload(storage, head, rest(), limits)
    except NAMED_ERRORS as error:
        raise named(error, upload.filename) from error


NAMED_ERRORS = (UnsupportedFormatError, UnreadableInputError, InputTooLargeError)
"""What is wrong with an uploaded file itself: its answer names the file."""


def named(error: InputError, name: str | None) -> InputError:
    """``error`` again, its message led by the file's name (a client uploading several files learns
    which one was refused)."""
    if not name:
        return error
    return type(error)(f"{name}: {error.message}")


async def input_ref(storage: Storage, ref: str, limits: Limits) -> str:
    """A reference the worker can read: data: URLs stored as uploads, file ids checked, URLs kept."""
    limits = as_limits(limits)
    if ref.startswith("data:"):
        return (await store_bytes(storage, decode_data_url(ref, limits.max_bytes), limits)).file_id
    if ref.startswith(("http://", "https://")):
        return ref
    key = await stored_key(storage, ref)
    if key is None:
        raise BadOptionError(f"input {ref[:80]!r} is not a file id, a stored key or an http(s)/data URL")
    await storage.stat(key)  # NotFoundError when it is not there
    return ref


async def base64_ref(storage: Storage, encoded: str, limits: Limits) -> str:
    limits = as_limits(limits)
    if encoded.startswith("data:"):
        return await input_ref(storage, encoded, limits)
    if len(encoded) * 3 // 4 > limits.max_bytes:
        raise InputTooLargeError(f"the input is larger than the limit of {limits.max_bytes} bytes")
    return (await store_bytes(storage, decode_base64(encoded), limits)).file_id


async def normalize(storage: Storage, create: TaskCreate, limits: Limits) -> TaskCreate:
    """The task with every input turned into a reference the worker can read (see the module docstring)."""
    wf = create.wf
    changes: dict[str, Any] = {"target_url": await input_ref(storage, wf.target_url, limits)}
    if wf.source_url:
        changes["source_url"] = await input_ref(storage, wf.source_url, limits)
    if wf.source_urls:
        changes["source_urls"] = [await input_ref(storage, r, limits) for r in wf.source_urls]
    if wf.reference_url:
        changes["reference_url"] = await input_ref(storage, wf.reference_url, limits)
    new_wf = wf.model_copy(update=changes)
    params = create.params.model_copy(
        update={"input_data": create.params.input_data.model_copy(update={"wf_json": new_wf})}
    )
    return create.model_copy(update={"params": params})


def check_urls(create: TaskCreate, fetch: FetchSettings) -> None:
    """Refuses (``url_forbidden``, 422) a task whose input or webhook URL names a forbidden address
    literally (an IP literal, ``localhost``), before the task is queued; see
    :func:`faceswap.net.fetch.check_literal`. A name that resolves to one is refused when fetched."""
    policy = AddressPolicy.from_entries(fetch.allow_private)
    urls = [ref for ref in task_inputs(create) if ref.startswith(("http://", "https://"))]
    for url in [*urls, *([create.webhook] if create.webhook else [])]:
        check_literal(url, policy)


async def check_still_stored(storage: Storage, create: TaskCreate) -> None:
    """``InputExpiredError`` when a stored input of ``create`` (an upload or a result) is gone, as before
    a retry: retention deletes uploads after a while. URLs are not checked (the worker fetches them)."""
    for ref in task_inputs(create):
        try:
            key = await stored_key(storage, ref)
            if key is not None:
                await storage.stat(key)
        except NotFoundError as exc:
            raise InputExpiredError(
                f"input {ref[:80]!r} is no longer stored (uploads are deleted after a while);"
                " upload it again and create a new task"
            ) from exc
