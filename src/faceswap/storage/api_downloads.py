"""``ApiDownloads``: a storage whose objects are downloaded through the API (``/api/download/...``), never
from the backend directly: for a backend clients cannot reach (an S3 server on a private network whose
presigned URLs name a host only the API resolves). Set with ``FACESWAP_STORAGE__DOWNLOADS=api``."""

from __future__ import annotations

from datetime import datetime, timedelta

from faceswap.storage.base import LEFTOVER_AGE, Storage
from faceswap.storage.view import StorageView


class ApiDownloads(StorageView):
    """``inner`` in every way but :meth:`url`, which says "through the API" (None); owns ``inner``."""

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await Storage.url(self, key, expires_s=expires_s)  # the key and expiry checks
        return None

    async def sweep_leftovers(
        self, now: datetime, *, older_than: timedelta = LEFTOVER_AGE, prefix: str = ""
    ) -> int:
        return await self.inner.sweep_leftovers(now, older_than=older_than, prefix=prefix)

    async def aclose(self) -> None:
        await self.inner.aclose()
