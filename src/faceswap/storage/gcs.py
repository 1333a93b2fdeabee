"""``GcsStorage``: objects in a Google Cloud Storage bucket (the ``gs://`` backend).

The object ``results/abc/out.png`` is the GCS object ``<prefix>results/abc/out.png``. Puts up to one
chunk (8 MiB) are a single upload; larger ones stream as a resumable upload that is only finalised when
all data has arrived, so a reader sees the whole new object or none (a failed or cancelled put leaves an
unfinished upload session, which GCS discards after a week). Reads pin the object's generation.

Credentials come from Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, workload
identity); ``STORAGE_EMULATOR_HOST`` points the client at an emulator without credentials. ``url`` signs
a V4 URL when the credentials hold a private key (a service account key file), else it gives ``None`` and
downloads go through the API. The client is blocking: every call runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import google.auth.exceptions
import requests
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry
from google.cloud.storage import Client
from google.cloud.storage.retry import DEFAULT_RETRY

from faceswap.errors import (
    BadOptionError,
    FaceswapError,
    InvalidKeyError,
    NotFoundError,
    OutputError,
    StorageUnavailableError,
)
from faceswap.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    PutData,
    Storage,
    StoredObject,
    check_stream,
    validate_content_type,
    validate_metadata,
)
from faceswap.storage.chunks import as_chunks, parts
from faceswap.storage.keys import validate_key, validate_prefix

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_UPLOAD_CHUNK: Final = 8 * 1024 * 1024
"""Resumable upload chunk (a multiple of 256 KiB) and the size of one ranged read."""
MAX_SIGNED_S: Final = 7 * 24 * 3600
_UNREACHABLE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    google.auth.exceptions.TransportError,
)


def storage_error(exc: Exception, action: str, key: str) -> FaceswapError:
    """The faceswap error for a GCS failure: missing objects, an unreachable or refusing service, the rest."""
    if isinstance(exc, api_exceptions.NotFound):
        return NotFoundError(f"no stored object {key!r}")
    if isinstance(exc, _UNREACHABLE):
        return StorageUnavailableError(f"GCS is unreachable ({action} {key!r}): {exc}")
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        code = int(exc.code or 0)
        if code in (401, 403, 429) or code >= 500:
            return StorageUnavailableError(f"GCS refused to {action} {key!r}: {exc.message}")
        return OutputError(f"GCS could not {action} {key!r}: {exc.message}")
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        return StorageUnavailableError(f"GCS credentials do not work ({action} {key!r}): {exc}")
    return StorageUnavailableError(f"GCS failed to {action} {key!r}: {exc}")


_FAILURES = (
    api_exceptions.GoogleAPIError,
    google.auth.exceptions.GoogleAuthError,
    requests.exceptions.RequestException,
)


class GcsStorage(Storage):
    """Objects under ``prefix`` in ``bucket``."""

    scheme = "gs"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        project: str | None = None,
        public_base_url: str | None = None,
        chunk_size: int = DEFAULT_UPLOAD_CHUNK,
        retry_deadline_s: float = 30.0,
    ) -> None:
        if not bucket or "/" in bucket:
            raise BadOptionError(f"a GCS bucket name must be non-empty, without '/'; got {bucket!r}")
        if prefix:
            validate_prefix(prefix)
            prefix = prefix if prefix.endswith("/") else prefix + "/"
        if chunk_size <= 0 or chunk_size % (256 * 1024):
            raise BadOptionError(f"GCS upload chunks are multiples of 256 KiB; got {chunk_size}")
        self.prefix = prefix
        self.chunk_size = chunk_size
        self._retry: Retry = DEFAULT_RETRY.with_timeout(retry_deadline_s)
        """Transient failures (connection, 429, 5xx) are retried this long, then StorageUnavailableError."""
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        try:
            self._client: Any = Client(project=project)
        except google.auth.exceptions.DefaultCredentialsError as exc:
            raise BadOptionError(
                f"no Google credentials for gs://{bucket}: set GOOGLE_APPLICATION_CREDENTIALS ({exc})"
            ) from exc
        self._bucket: Any = self._client.bucket(bucket)

    def __repr__(self) -> str:
        return f"GcsStorage('gs://{self._bucket.name}/{self.prefix}')"

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def _run(self, action: str, key: str, function: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(function)
        except _FAILURES as exc:
            raise storage_error(exc, action, key) from exc

    # -- writing -----------------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        name = self._name(key)
        validate_content_type(content_type)
        meta = validate_metadata(metadata)
        chunks = as_chunks(data)
        blob = self._bucket.blob(name)
        blob.metadata = meta or None
        writer: Any = None
        try:
            async for part in parts(chunks, self.chunk_size):
                if writer is None and len(part) < self.chunk_size:  # the first part is the last
                    upload = functools.partial(
                        blob.upload_from_string, part, content_type=content_type, retry=self._retry
                    )
                    await self._run("store", key, upload)
                    break
                if writer is None:
                    writer = blob.open("wb", chunk_size=self.chunk_size, content_type=content_type)
                await self._run("store", key, functools.partial(writer.write, part))
            if writer is not None:
                await self._run("store", key, writer.close)  # only now does the object appear
        except BaseException:
            if writer is not None and not writer.closed:
                # also on cancellation. A writer left open would be finalised when it is garbage
                # collected (io.IOBase closes itself), publishing the partial object: cancel it.
                await asyncio.to_thread(self._terminate, writer, name)
            raise
        logger.debug("stored %s in gs://%s (%s)", name, self._bucket.name, content_type)
        return await self.stat(key)

    @staticmethod
    def _terminate(writer: Any, name: str) -> None:
        try:
            writer.terminate()
        except _FAILURES as exc:
            logger.warning("could not cancel the upload of %s: %s", name, exc)

    async def delete(self, key: str) -> None:
        blob = self._bucket.blob(self._name(key))

        def delete() -> None:
            with contextlib.suppress(api_exceptions.NotFound):
                blob.delete(retry=self._retry)

        await self._run("delete", key, delete)

    # -- reading -----------------------------------------------------------------------------------

    async def get(self, key: str) -> bytes:
        blob = self._bucket.blob(self._name(key))
        download = functools.partial(blob.download_as_bytes, retry=self._retry)
        return bytes(await self._run("read", key, download))

    async def _blob(self, key: str) -> Any:
        name = self._name(key)
        blob = await self._run("read", key, lambda: self._bucket.get_blob(name, retry=self._retry))
        if blob is None:
            raise NotFoundError(f"no stored object {key!r}")
        return blob

    async def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        check_stream(chunk_size, start, stop)
        blob = await self._blob(key)  # pins the generation: an overwrite meanwhile does not mix bytes
        size = int(blob.size or 0)
        end = size if stop is None else min(stop, size)
        step = max(chunk_size, self.chunk_size)
        for first in range(start, end, step):
            last = min(first + step, end) - 1
            block = await self._run(
                "read",
                key,
                functools.partial(blob.download_as_bytes, start=first, end=last, retry=self._retry),
            )
            for offset in range(0, len(block), chunk_size):
                yield block[offset : offset + chunk_size]

    async def stat(self, key: str) -> StoredObject:
        return self._describe(key, await self._blob(key))

    @staticmethod
    def _describe(key: str, blob: Any) -> StoredObject:
        created = blob.time_created or blob.updated
        return StoredObject(
            key=key,
            size=int(blob.size or 0),
            content_type=str(blob.content_type or DEFAULT_CONTENT_TYPE),
            created=created.astimezone(UTC) if isinstance(created, datetime) else datetime.now(UTC),
            metadata={str(k): str(v) for k, v in (blob.metadata or {}).items()},
            etag=str(blob.etag) if blob.etag else None,
        )

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        validate_prefix(prefix)
        pages = iter(
            self._client.list_blobs(self._bucket, prefix=self.prefix + prefix, retry=self._retry).pages
        )
        while True:
            page = await self._run("list", prefix, lambda: builtins.list(next(pages, None) or ()))
            if not page:
                return
            found = []
            for blob in page:
                try:
                    found.append(self._describe(validate_key(str(blob.name)[len(self.prefix) :]), blob))
                except InvalidKeyError:
                    continue  # an object some other program stored under a name we never generate
            for obj in sorted(found, key=lambda o: o.key):
                yield obj

    # -- the rest ------------------------------------------------------------------------------------

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await super().url(key, expires_s=expires_s)
        name = self._name(key)
        if self.public_base_url is not None:
            return f"{self.public_base_url}/{name}"
        if expires_s > MAX_SIGNED_S:
            raise BadOptionError(f"signed GCS URLs live at most {MAX_SIGNED_S} s; got {expires_s}")
        blob = self._bucket.blob(name)
        expiration = timedelta(seconds=expires_s)
        try:
            url = await asyncio.to_thread(
                blob.generate_signed_url, version="v4", expiration=expiration, method="GET"
            )
        except (AttributeError, TypeError, ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            logger.debug("no signed URL for %s (credentials cannot sign): %s", name, exc)
            return None
        return str(url)

    async def health(self) -> bool:
        try:
            await self._run(
                "reach the bucket of", "/", functools.partial(self._bucket.reload, retry=self._retry)
            )
        except NotFoundError:
            raise StorageUnavailableError(f"GCS bucket {self._bucket.name!r} does not exist") from None
        return True

    async def aclose(self) -> None:
        await asyncio.to_thread(self._client.close)
