"""API keys in the queue's Redis: ``faceswap:<queue>:api_keys`` (digest -> record JSON) and
``faceswap:<queue>:api_key_names`` (name -> digest)."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from faceswap.errors import ConflictError
from faceswap.service.keys.model import ApiKey
from faceswap.service.keys.store import KeyStore


class RedisKeyStore(KeyStore):
    def __init__(self, url: str, queue_name: str) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.records = f"faceswap:{queue_name}:api_keys"
        self.names = f"faceswap:{queue_name}:api_key_names"

    async def _insert(self, key: ApiKey) -> None:
        if not await self.redis.hsetnx(self.names, key.name, key.digest):
            raise ConflictError(f"an API key named {key.name!r} exists already")
        await self.redis.hset(self.records, key.digest, json.dumps(key.dump()))

    async def _delete(self, name: str) -> ApiKey | None:
        digest = await self.redis.hget(self.names, name)
        if digest is None:
            return None
        key = await self.lookup(digest.decode() if isinstance(digest, bytes) else digest)
        await self.redis.hdel(self.records, digest)
        await self.redis.hdel(self.names, name)
        return key

    async def lookup(self, digest: str) -> ApiKey | None:
        raw: Any = await self.redis.hget(self.records, digest)
        return None if raw is None else ApiKey.load(json.loads(raw))

    async def list(self) -> list[ApiKey]:
        raw: dict[Any, Any] = await self.redis.hgetall(self.records)
        keys = [ApiKey.load(json.loads(value)) for value in raw.values()]
        return sorted(keys, key=lambda k: (k.created, k.name))

    async def count(self) -> int:
        return int(await self.redis.hlen(self.records))

    async def aclose(self) -> None:
        await self.redis.aclose()
