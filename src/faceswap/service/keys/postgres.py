"""API keys in the queue's PostgreSQL database: the table ``faceswap_api_keys`` (one row per key)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, errors

from faceswap.errors import ConflictError
from faceswap.service.keys.model import ApiKey
from faceswap.service.keys.store import KeyStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS faceswap_api_keys (
    queue TEXT NOT NULL,
    digest TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created TIMESTAMPTZ NOT NULL,
    rate_limit_per_minute DOUBLE PRECISION,
    PRIMARY KEY (queue, digest),
    UNIQUE (queue, name)
)
"""
_COLUMNS = "id, name, digest, created, rate_limit_per_minute"


def _key(row: Any) -> ApiKey:
    return ApiKey(row[0], row[1], row[2], row[3], row[4])


class PostgresKeyStore(KeyStore):
    def __init__(self, url: str, queue_name: str) -> None:
        self.url = url
        self.queue = queue_name

    async def _fetch(self, sql: str, *params: Any) -> list[Any]:
        async with await AsyncConnection.connect(self.url, autocommit=True) as conn:
            await conn.execute(_SCHEMA)
            cursor = await conn.execute(sql, (self.queue, *params))
            return await cursor.fetchall() if cursor.description else []

    async def _insert(self, key: ApiKey) -> None:
        try:
            await self._fetch(
                f"INSERT INTO faceswap_api_keys (queue, {_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                key.id,
                key.name,
                key.digest,
                key.created,
                key.rate_limit_per_minute,
            )
        except errors.UniqueViolation as exc:
            raise ConflictError(f"an API key named {key.name!r} exists already") from exc

    async def _delete(self, name: str) -> ApiKey | None:
        rows = await self._fetch(
            f"DELETE FROM faceswap_api_keys WHERE queue = %s AND name = %s RETURNING {_COLUMNS}", name
        )
        return _key(rows[0]) if rows else None

    async def lookup(self, digest: str) -> ApiKey | None:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM faceswap_api_keys WHERE queue = %s AND digest = %s", digest
        )
        return _key(rows[0]) if rows else None

    async def list(self) -> list[ApiKey]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM faceswap_api_keys WHERE queue = %s ORDER BY created, name"
        )
        return [_key(row) for row in rows]

    async def count(self) -> int:
        rows = await self._fetch("SELECT count(*) FROM faceswap_api_keys WHERE queue = %s")
        return int(rows[0][0])
