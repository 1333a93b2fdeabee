"""Storing an upload under ``uploads/``, checked by content and size (``settings.limits``).

The type is sniffed from the first bytes (never the name or a declared type); an image is read whole and
its header parsed for the pixel limit (:func:`faceswap.limits.check_media`) before it is stored; a video
is streamed to storage (its length, frames and frame size are checked by the worker, which has PyAV).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from faceswap.choices import MediaType
from faceswap.config import InputLimits
from faceswap.errors import InputTooLargeError
from faceswap.imaging.sniff import SNIFF_BYTES, extension, is_image, mime_type, sniff
from faceswap.limits import check_media
from faceswap.storage.base import Storage
from faceswap.storage.keys import new_file_id, upload_key

Limits = InputLimits | int
"""The input limits, or just a byte limit (the other limits at their defaults)."""


def as_limits(limits: Limits) -> InputLimits:
    return InputLimits(max_bytes=limits) if isinstance(limits, int) else limits


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


async def store_upload(storage: Storage, head: bytes, rest: AsyncIterator[bytes], limits: Limits) -> Uploaded:
    """Sniffs ``head`` (the first bytes), then stores head + rest, refusing more than ``max_bytes``.

    An image is read whole (at most ``max_bytes``) and its header parsed for the pixel limit before it is
    stored; a video is streamed to storage (its length is checked by the worker).
    """
    limits = as_limits(limits)
    max_bytes = limits.max_bytes
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

    if is_image(media):
        data = b"".join([chunk async for chunk in chunks()])
        check_media(data, "image", limits)
        stored = await storage.put(key, data, content_type=mime_type(media))
    else:
        stored = await storage.put(key, chunks(), content_type=mime_type(media))
    return Uploaded(file_id, key, media, stored.content_type, stored.size)


async def store_bytes(storage: Storage, data: bytes, limits: Limits) -> Uploaded:
    async def nothing() -> AsyncIterator[bytes]:
        return
        yield b""

    return await store_upload(storage, data, nothing(), limits)
