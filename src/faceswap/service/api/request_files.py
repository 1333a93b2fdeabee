"""``RequestStorage``: one request's view of the storage, which remembers what the request stored.

A route that stores inputs (uploads, ``data:``/base64 inputs) and is then refused (a bad option found
after the files, a task that cannot be created) must leave nothing behind. :data:`~.deps.State`
hands each request this view and, when the route raises, deletes every object the request put.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from faceswap.storage.base import DEFAULT_CONTENT_TYPE, PutData, Storage, StoredObject
from faceswap.storage.view import StorageView

logger = logging.getLogger(__name__)


class RequestStorage(StorageView):
    """Delegates to ``inner``; records the key of every object put through it."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self.stored: list[str] = []

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
