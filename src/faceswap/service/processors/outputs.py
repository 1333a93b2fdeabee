"""Storing a task's output under ``results/<task_id>/`` and describing it in the task's result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faceswap.storage.base import Storage
from faceswap.storage.keys import result_key

DOWNLOAD_ROUTE = "/api/download/"


async def store_output(
    storage: Storage, task_id: str, name: str, data: bytes | Path, content_type: str
) -> dict[str, Any]:
    """Puts the output and returns ``file_id`` (its key), ``output_url``, ``content_type`` and ``size``."""
    key = result_key(task_id, name)
    stored = await storage.put(key, data, content_type=content_type, metadata={"task_id": task_id})
    url = await storage.url(key)
    return {
        "file_id": key,
        "output_url": url or f"{DOWNLOAD_ROUTE}{key}",
        "content_type": stored.content_type,
        "size": stored.size,
    }
