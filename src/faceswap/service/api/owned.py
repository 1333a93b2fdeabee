"""One API key's view of the storage: uploads carry their owner, and only the owner sees them.

``OwnedStorage`` wraps the service's storage for a request made with an API key. ``put`` records the
key's id as the ``owner`` metadata of what it stores (uploads). ``uploads/`` objects are visible only
when their ``owner`` metadata is that id; ``results/<task_id>/...`` only when the task is the key's
(:meth:`TaskClient.job` with an owner). Anything else, and everything another key owns, is "not found"
(404, never 403: other keys' objects do not exist as far as this key can tell).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from faceswap.errors import NotFoundError
from faceswap.service.tasks.client import TaskClient
from faceswap.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    PutData,
    Storage,
    StoredObject,
)
from faceswap.storage.keys import RESULTS_PREFIX, UPLOADS_PREFIX
from faceswap.storage.view import StorageView

OWNER_METADATA = "owner"


class OwnedStorage(StorageView):
    def __init__(self, inner: Storage, owner: str, tasks: TaskClient) -> None:
        super().__init__(inner)
        self.owner = owner
        self.tasks = tasks

    async def visible(self, key: str, obj: StoredObject | None = None) -> bool:
        if key.startswith(UPLOADS_PREFIX):
            obj = obj or await self.inner.stat(key)
            return obj.metadata.get(OWNER_METADATA) == self.owner
        if key.startswith(RESULTS_PREFIX):
            task_id = key[len(RESULTS_PREFIX) :].split("/", 1)[0]
            try:
                await self.tasks.job(task_id)  # owner-scoped: NotFoundError for another key's task
            except NotFoundError:
                return False
            return True
        return False

    async def _check(self, key: str, obj: StoredObject | None = None) -> None:
        if not await self.visible(key, obj):
            raise NotFoundError(f"no file {key!r}")

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        owned = {**(metadata or {}), OWNER_METADATA: self.owner}
        return await self.inner.put(key, data, content_type=content_type, metadata=owned)

    async def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        await self.stat(key)
        async for chunk in self.inner.stream(key, chunk_size=chunk_size, start=start, stop=stop):
            yield chunk

    async def stat(self, key: str) -> StoredObject:
        obj = await self.inner.stat(key)
        await self._check(key, obj)
        return obj

    async def delete(self, key: str) -> None:
        if await self.inner.exists(key):
            await self._check(key)
            await self.inner.delete(key)

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        async for obj in self.inner.list(prefix):
            if await self.visible(obj.key, obj):
                yield obj

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await self._check(key)
        return await self.inner.url(key, expires_s=expires_s)
