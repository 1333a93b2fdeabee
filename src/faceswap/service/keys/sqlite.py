"""API keys in a SQLite file beside the embedded queue's database (stdlib ``sqlite3`` on a thread)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from faceswap.errors import ConflictError
from faceswap.service.keys.model import ApiKey
from faceswap.service.keys.store import KeyStore

T = TypeVar("T")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    digest TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    rate_limit_per_minute REAL
)
"""
_COLUMNS = "id, name, digest, created, rate_limit_per_minute"


def _key(row: tuple[str, str, str, str, float | None]) -> ApiKey:
    return ApiKey(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4])


class SqliteKeyStore(KeyStore):
    def __init__(self, path: Path) -> None:
        self.path = path

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(self.path, timeout=10) as conn:
                conn.execute(_SCHEMA)
                return work(conn)

        return await asyncio.to_thread(run)

    async def _insert(self, key: ApiKey) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (key.id, key.name, key.digest, key.created.isoformat(), key.rate_limit_per_minute),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"an API key named {key.name!r} exists already") from exc

        await self._run(insert)

    async def _delete(self, name: str) -> ApiKey | None:
        def delete(conn: sqlite3.Connection) -> ApiKey | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE name = ?", (name,)).fetchone()
            conn.execute("DELETE FROM api_keys WHERE name = ?", (name,))
            return None if row is None else _key(row)

        return await self._run(delete)

    async def lookup(self, digest: str) -> ApiKey | None:
        def find(conn: sqlite3.Connection) -> ApiKey | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE digest = ?", (digest,)).fetchone()
            return None if row is None else _key(row)

        return await self._run(find)

    async def list(self) -> list[ApiKey]:
        def every(conn: sqlite3.Connection) -> list[ApiKey]:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created, name").fetchall()
            return [_key(row) for row in rows]

        return await self._run(every)

    async def count(self) -> int:
        return await self._run(lambda conn: int(conn.execute("SELECT count(*) FROM api_keys").fetchone()[0]))
