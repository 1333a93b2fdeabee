"""``StorageView``: a view of another storage, for one request or one caller, that delegates everything.

Subclasses override what their view changes (which objects are visible, what a put records). A view
neither sweeps the backend's leftovers nor closes it: the storage it wraps outlives it.
"""

from __future__ import annotations

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


class StorageView(Storage):
    """Everything goes to ``inner``; ``scheme`` is the inner backend's (what clients are told)."""

    scheme = "view"

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.scheme = inner.scheme  # type: ignore[misc]

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        return await self.inner.put(key, data, content_type=content_type, metadata=metadata)

    def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        return self.inner.stream(key, chunk_size=chunk_size, start=start, stop=stop)

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
        return 0  # the wrapped storage's owner does that

    async def aclose(self) -> None:
        return None  # the wrapped storage outlives this view
