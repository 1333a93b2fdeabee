"""``ApiStorage``: the service's storage as a remote worker sees it, through the API.

A remote worker holds no storage credentials. Processors store their outputs with ``storage.put`` under
``results/<task_id>/<attempt>/``; here that uploads the file through ``POST /api/comm/task/{id}/files``
with the lease of that task (:meth:`hold` registers it), which stores it under the lease's attempt and
answers its key (objects are known here by that key), and ``url`` gives back the direct URL the API's storage
reported (presigned or public), or ``None`` (downloads go through ``/api/download``). Reading is not
offered: a remote worker reads its inputs through its lease (see :mod:`.worker`), so ``stream`` raises
``NotFoundError`` and ``list`` and ``stat`` see only what this worker uploaded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from faceswap.errors import LeaseLostError, NotFoundError
from faceswap.service.remote.client import CommClient
from faceswap.storage.base import DEFAULT_CONTENT_TYPE, PutData, Storage, StoredObject, validate_metadata
from faceswap.storage.keys import parse_result_key, results_prefix, validate_key, validate_prefix


@dataclass(frozen=True)
class _Upload:
    stored: StoredObject
    url: str | None


class ApiStorage(Storage):
    scheme = "faceswap-api"

    def __init__(self, client: CommClient) -> None:
        self.client = client
        self._leases: dict[str, str] = {}
        self._uploads: dict[str, _Upload] = {}

    def hold(self, task_id: str, lease_id: str) -> None:
        """Lets processors store results of ``task_id`` with ``lease_id``."""
        self._leases[task_id] = lease_id

    def release(self, task_id: str) -> None:
        self._leases.pop(task_id, None)
        prefix = results_prefix(task_id)
        for key in [k for k in self._uploads if k.startswith(prefix)]:
            del self._uploads[key]

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        parts = parse_result_key(key)
        lease_id = self._leases.get(parts.task_id) if parts is not None else None
        if parts is None or lease_id is None:
            raise LeaseLostError(f"this worker holds no lease to store {key!r}")
        task_id, name = parts.task_id, parts.name
        body: bytes | Path
        if isinstance(data, Path):
            body = data
        elif isinstance(data, bytes | bytearray | memoryview):
            body = bytes(data)
        else:
            body = b"".join([chunk async for chunk in data])
        uploaded = await self.client.upload(task_id, lease_id, name, body, content_type)
        stored = StoredObject(
            key=uploaded.key,
            size=uploaded.size,
            content_type=uploaded.content_type,
            created=datetime.now(UTC),
            metadata=validate_metadata(metadata),
        )
        self._uploads[uploaded.key] = _Upload(stored, uploaded.url)
        return stored

    def stream(
        self, key: str, *, chunk_size: int = 1024 * 1024, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            raise NotFoundError(f"a remote worker reads {key!r} through its lease, not from storage")
            yield b""  # pragma: no cover - makes this an async generator

        return chunks()

    async def stat(self, key: str) -> StoredObject:
        upload = self._uploads.get(validate_key(key))
        if upload is None:
            raise NotFoundError(f"no object {key!r} stored by this worker")
        return upload.stored

    async def delete(self, key: str) -> None:
        self._uploads.pop(validate_key(key), None)

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        validate_prefix(prefix)
        for key in sorted(self._uploads):
            if key.startswith(prefix):
                yield self._uploads[key].stored

    async def health(self) -> bool:
        return True

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await super().url(key, expires_s=expires_s)
        upload = self._uploads.get(key)
        return upload.url if upload else None
