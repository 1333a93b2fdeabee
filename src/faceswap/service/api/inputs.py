"""Inputs at the API edge: uploads checked by content and size, stored under ``uploads/``.

Multipart files and ``data:``/base64 inputs are stored (so a job never carries megabytes) and become
file ids; file ids must exist; ``http(s)://`` URLs pass through to the worker, which downloads them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import UploadFile

from faceswap.choices import MediaType
from faceswap.errors import BadOptionError, InputTooLargeError
from faceswap.imaging.sniff import SNIFF_BYTES, extension, mime_type, sniff
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.worker.inputs import decode_base64, decode_data_url, stored_key
from faceswap.storage.base import Storage
from faceswap.storage.keys import new_file_id, upload_key

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Uploaded:
    file_id: str
    key: str
    media_type: MediaType
    content_type: str
    size: int

    def dump(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "key": self.key,
            "media_type": self.media_type,
            "content_type": self.content_type,
            "size": self.size,
        }


async def store_upload(storage: Storage, head: bytes, rest: AsyncIterator[bytes], max_bytes: int) -> Uploaded:
    """Sniffs ``head`` (the first bytes), then stores head + rest, refusing more than ``max_bytes``."""
    media = sniff(head[:SNIFF_BYTES])
    file_id = new_file_id()
    key = upload_key(file_id, extension(media))

    async def chunks() -> AsyncIterator[bytes]:
        size = len(head)
        if size > max_bytes:
            raise InputTooLargeError(f"the file is larger than the limit of {max_bytes} bytes")
        yield head
        async for chunk in rest:
            size += len(chunk)
            if size > max_bytes:
                raise InputTooLargeError(f"the file is larger than the limit of {max_bytes} bytes")
            yield chunk

    stored = await storage.put(key, chunks(), content_type=mime_type(media))
    return Uploaded(file_id, key, media, stored.content_type, stored.size)


async def store_bytes(storage: Storage, data: bytes, max_bytes: int) -> Uploaded:
    async def nothing() -> AsyncIterator[bytes]:
        return
        yield b""

    return await store_upload(storage, data, nothing(), max_bytes)


async def store_file(storage: Storage, upload: UploadFile, max_bytes: int) -> Uploaded:
    """Stores a multipart file (checked by content, never by its name or declared type)."""
    if upload.size is not None and upload.size > max_bytes:
        raise InputTooLargeError(
            f"{upload.filename or 'the file'} is larger than the limit of {max_bytes} bytes"
        )
    head = await upload.read(max(SNIFF_BYTES, CHUNK))

    async def rest() -> AsyncIterator[bytes]:
        while chunk := await upload.read(CHUNK):
            yield chunk

    return await store_upload(storage, head, rest(), max_bytes)


async def input_ref(storage: Storage, ref: str, max_bytes: int) -> str:
    """A reference the worker can read: data: URLs stored as uploads, file ids checked, URLs kept."""
    if ref.startswith("data:"):
        return (await store_bytes(storage, decode_data_url(ref, max_bytes), max_bytes)).file_id
    if ref.startswith(("http://", "https://")):
        return ref
    key = await stored_key(storage, ref)
    if key is None:
        raise BadOptionError(f"input {ref[:80]!r} is not a file id, a stored key or an http(s)/data URL")
    await storage.stat(key)  # NotFoundError when it is not there
    return ref


async def base64_ref(storage: Storage, encoded: str, max_bytes: int) -> str:
    if encoded.startswith("data:"):
        return await input_ref(storage, encoded, max_bytes)
    if len(encoded) * 3 // 4 > max_bytes:
        raise InputTooLargeError(f"the input is larger than the limit of {max_bytes} bytes")
    return (await store_bytes(storage, decode_base64(encoded), max_bytes)).file_id


async def normalize(storage: Storage, create: TaskCreate, max_bytes: int) -> TaskCreate:
    """The task with every input turned into a reference the worker can read (see the module docstring)."""
    wf = create.wf
    changes: dict[str, Any] = {"target_url": await input_ref(storage, wf.target_url, max_bytes)}
    if wf.source_url:
        changes["source_url"] = await input_ref(storage, wf.source_url, max_bytes)
    if wf.source_urls:
        changes["source_urls"] = [await input_ref(storage, r, max_bytes) for r in wf.source_urls]
    if wf.reference_url:
        changes["reference_url"] = await input_ref(storage, wf.reference_url, max_bytes)
    new_wf = wf.model_copy(update=changes)
    params = create.params.model_copy(
        update={"input_data": create.params.input_data.model_copy(update={"wf_json": new_wf})}
    )
    return create.model_copy(update={"params": params})
