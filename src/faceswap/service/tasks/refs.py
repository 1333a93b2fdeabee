"""Reading a task's inputs: uploaded file ids, storage keys, ``http(s)://`` and ``data:`` URLs."""

from __future__ import annotations

import base64
import binascii
import re

from faceswap.config import FetchSettings
from faceswap.errors import InputTooLargeError, NotFoundError, UnreadableInputError
from faceswap.net.fetch import FetchLimits, GuardedClient, fetch_url
from faceswap.storage.base import Storage
from faceswap.storage.keys import RESULTS_PREFIX, UPLOADS_PREFIX, validate_key

_FILE_ID = re.compile(r"[0-9a-f]{32}")
_DATA_URL = re.compile(r"data:[\w.+/-]*(;[\w=.+-]+)*;base64,", re.ASCII)


async def upload_key_of(storage: Storage, file_id: str) -> str:
    """The storage key of an uploaded file id (``uploads/<id>.<ext>``); ``NotFoundError`` if none."""
    async for obj in storage.list(f"{UPLOADS_PREFIX}{file_id}."):
        return obj.key
    raise NotFoundError(f"no uploaded file {file_id!r}")


async def stored_key(storage: Storage, ref: str) -> str | None:
    """The storage key ``ref`` names (a file id or an ``uploads/``/``results/`` key), or None for URLs."""
    if _FILE_ID.fullmatch(ref):
        return await upload_key_of(storage, ref)
    if ref.startswith((UPLOADS_PREFIX, RESULTS_PREFIX)):
        return validate_key(ref)
    return None


def decode_data_url(ref: str, max_bytes: int) -> bytes:
    match = _DATA_URL.match(ref)
    if match is None:
        raise UnreadableInputError("a data: URL must be base64 (data:<type>;base64,<data>)")
    encoded = ref[match.end() :]
    if len(encoded) * 3 // 4 > max_bytes:
        raise InputTooLargeError(f"the input is larger than {max_bytes} bytes")
    return decode_base64(encoded)


def decode_base64(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableInputError(f"the input is not valid base64: {exc}") from exc


async def download(url: str, max_bytes: int, fetch: FetchSettings | None = None) -> bytes:
    """The body at ``url``, at most ``max_bytes``, through the SSRF guard (:mod:`faceswap.net`).

    Private, loopback and link-local addresses are refused (``url_forbidden``) unless ``fetch.allow_private``
    lets them through; network failures are transient (``url_fetch_failed``).
    """
    fetch = fetch or FetchSettings()
    limits = FetchLimits(max_bytes=max_bytes, timeout_s=fetch.timeout_s)
    async with GuardedClient(fetch) as client:
        return (await fetch_url(url, limits=limits, client=client)).data


async def read_input(storage: Storage, ref: str, max_bytes: int, fetch: FetchSettings | None = None) -> bytes:
    """The bytes an input reference names (see :class:`~faceswap.service.tasks.model.WfJson`).

    URLs go through the SSRF guard with ``fetch`` (default: no private address allowed).
    """
    if ref.startswith("data:"):
        return decode_data_url(ref, max_bytes)
    if ref.startswith(("http://", "https://")):
        return await download(ref, max_bytes, fetch)
    key = await stored_key(storage, ref)
    if key is None:
        raise NotFoundError(f"input {ref[:80]!r} is not a file id, a stored key or an http(s)/data URL")
    obj = await storage.stat(key)
    if obj.size > max_bytes:
        raise InputTooLargeError(f"input {ref!r} is larger than {max_bytes} bytes")
    return await storage.get(key)
