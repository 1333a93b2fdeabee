"""``KeyStore``: API key records in the same place as the queue's data, so N API replicas share them.

One rule picks the backend from the queue URL, nothing else to configure:

- SQLite queue (the embedded default): the file ``api_keys.sqlite3`` beside the queue's database;
- Redis queue: two hashes in the same Redis (``faceswap:<queue>:api_keys`` by digest, ``...:names``);
- PostgreSQL queue: the table ``faceswap_api_keys`` in the same database.
"""

from __future__ import annotations

import abc
from urllib.parse import urlsplit

from faceswap.config import Settings
from faceswap.errors import BadOptionError, NotFoundError
from faceswap.service.keys.model import ApiKey


class KeyStore(abc.ABC):
    """Records of API keys, looked up by the key's digest."""

    async def create(self, name: str, rate_limit_per_minute: float | None = None) -> tuple[ApiKey, str]:
        """A new key named ``name`` (``ConflictError`` if the name is taken): its record and the key."""
        key, secret = ApiKey.new(name, rate_limit_per_minute)
        await self._insert(key)
        return key, secret

    async def revoke(self, name: str) -> ApiKey:
        """Deletes the key named ``name``; ``NotFoundError`` if there is none."""
        key = await self._delete(name)
        if key is None:
            raise NotFoundError(f"no API key named {name!r}")
        return key

    @abc.abstractmethod
    async def _insert(self, key: ApiKey) -> None:
        """Stores ``key``; ``ConflictError`` when its name is taken."""

    @abc.abstractmethod
    async def _delete(self, name: str) -> ApiKey | None:
        """Deletes and returns the key named ``name`` (None if none)."""

    @abc.abstractmethod
    async def lookup(self, digest: str) -> ApiKey | None:
        """The key whose digest is ``digest``, if any."""

    @abc.abstractmethod
    async def list(self) -> list[ApiKey]:
        """Every key, oldest first."""

    @abc.abstractmethod
    async def count(self) -> int:
        """How many keys exist (keys are required once there is one)."""

    async def aclose(self) -> None:
        return None


def open_key_store(settings: Settings) -> KeyStore:
    """The key store beside the configured queue (see the module docstring)."""
    url = settings.queue.url
    scheme = urlsplit(url).scheme.lower() if url else "sqlite"
    if scheme == "sqlite":
        from faceswap.service.keys.sqlite import SqliteKeyStore
        from faceswap.service.queue.open import sqlite_path_from_url

        return SqliteKeyStore(sqlite_path_from_url(url, settings.data_dir).parent / "api_keys.sqlite3")
    if scheme in ("redis", "rediss", "unix"):
        from faceswap.service.keys.redis import RedisKeyStore

        return RedisKeyStore(url, settings.queue.name)
    if scheme in ("postgres", "postgresql"):
        from faceswap.service.keys.postgres import PostgresKeyStore

        return PostgresKeyStore(url, settings.queue.name)
    raise BadOptionError(f"no API key store for a queue URL like {url!r}")
