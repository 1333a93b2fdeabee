"""``RequestStorage``: one request's view of the storage, which remembers what the request stored.

A route that stores inputs (uploads, ``data:``/base64 inputs) and is then refused (a bad option found
after the files, a task that cannot be created) must leave nothing behind. :func:`~.state.get_state`
hands each request this view and, when the route raises, deletes every object the request put.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta

from faceswap.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    LEFTOVER_AGE,
    PutData,
    Storage,
    StoredObject,
)

logger = logging.getLogger(__name__)


class RequestStorage(Storage):
    """Delegates to ``inner``; records the key of every object put through it."""

    scheme = "request"

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.stored: list[str] = []
        self.scheme = inner.scheme  # type: ignore[misc]  # what clients are told is the real backend

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        stored = await self.inner.put(key, data, content_type=content_type, metadata=metadata)
        self.stored.append(key)
        return stored

    async def discard(self) -> int:
        """Deletes what this request stored (a refused request's inputs); the number of keys."""
        keys, self.stored = self.stored, []
        if keys:
            logger.info("request refused: deleting the %d file(s) it stored", len(keys))
        return await self.inner.delete_all(keys)

    def stream(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        return self.inner.stream(key, chunk_size=chunk_size)

    async def stat(self, key: str) -> StoredObject:
        return await self.inner.stat(key)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        return self.inner.list(prefix)

    async def health(self) -> bool:
        return await self.inner.health()

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        return await self.inner.url(key, expires_s=expires_s)

    async def sweep_leftovers(
        self, now: datetime, *, older_than: timedelta = LEFTOVER_AGE, prefix: str = ""
    ) -> int:
        return 0  # the service's own storage does that, not a request's view of it

    async def aclose(self) -> None:
        return None  # the service's storage outlives this view
