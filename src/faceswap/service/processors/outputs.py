"""``AttemptOutputs``: storing one task attempt's outputs under ``results/<task_id>/<attempt>/``.

Every attempt at a task writes into a folder of its own (:func:`~faceswap.storage.keys.result_key`), so
an attempt that lost the task (swept while it still ran, another attempt finished it) can never
overwrite the outputs of the attempt that owns the task; what it wrote is deleted once it learns it lost
(:mod:`faceswap.service.attempt_files`).

Writes are shielded from cancellation and tracked: a cancelled processor stops waiting for its write at
once, but the write itself runs to its end (a storage backend may finish it on a thread anyway), and
:meth:`AttemptOutputs.settle` waits for it, so that deleting the attempt's files afterwards leaves
nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceswap.storage.base import Storage, StoredObject
from faceswap.storage.keys import result_key

DOWNLOAD_ROUTE = "/api/download/"
SETTLE_S = 120.0
"""How long :meth:`AttemptOutputs.settle` waits for writes still running (a large video's upload)."""


@dataclass
class AttemptOutputs:
    """What attempt ``attempt`` at task ``task_id`` stores in ``storage``."""

    storage: Storage
    task_id: str
    attempt: str
    keys: list[str] = field(default_factory=list)
    """Every key this attempt started writing, in order (also writes that failed or still run)."""
    _writes: set[asyncio.Future[StoredObject]] = field(default_factory=set)

    async def store(self, name: str, data: bytes | Path, content_type: str) -> dict[str, Any]:
        """Puts output ``name`` and returns ``file_id`` (its key), ``output_url``, ``content_type`` and
        ``size`` for the task's result."""
        key = result_key(self.task_id, name, attempt=self.attempt)
        self.keys.append(key)
        metadata = {"task_id": self.task_id, "attempt": self.attempt}
        write = asyncio.ensure_future(
            self.storage.put(key, data, content_type=content_type, metadata=metadata)
        )
        self._writes.add(write)
        write.add_done_callback(self._done)
        stored = await asyncio.shield(write)
        url = await self.storage.url(stored.key)
        return {
            "file_id": stored.key,
            "output_url": url or f"{DOWNLOAD_ROUTE}{stored.key}",
            "content_type": stored.content_type,
            "size": stored.size,
        }

    def _done(self, write: asyncio.Future[StoredObject]) -> None:
        self._writes.discard(write)
        if not write.cancelled():
            write.exception()  # retrieved: a write nobody awaits any more (cancelled run) fails quietly

    async def settle(self, timeout: float = SETTLE_S) -> None:
        """Waits (up to ``timeout`` seconds) for writes that are still running."""
        if self._writes:
            await asyncio.wait(set(self._writes), timeout=timeout)
