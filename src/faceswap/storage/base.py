"""The ``Storage`` interface every backend implements, and the ``StoredObject`` it describes objects with.

All methods are async (the API and the workers run on asyncio); a backend moves blocking I/O to a thread.
The contract, checked for every backend by ``tests/storage/test_contract.py``:

- keys follow :mod:`faceswap.storage.keys`; a bad key raises ``InvalidKeyError`` before any I/O;
- ``put`` is atomic: readers see the whole new object or none (or the previous one); a ``put`` whose data
  iterator raises leaves nothing behind;
- ``get``/``stream``/``stat`` of a missing key raise ``NotFoundError`` (``stream`` on first iteration);
- ``stream(key, start=, stop=)`` yields bytes ``start`` up to ``stop`` (clipped to the object's end; none
  when ``start`` lies past it); the local, S3 and GCS backends fetch only those (a seek, an HTTP range
  request), so a browser seeking in a long video costs the bytes it asks for, and Cloudflare Images (small
  images only) reads from the start and drops what comes before;
- ``delete`` is idempotent: deleting a missing key is not an error (as on S3);
- the content type and metadata given to ``put`` come back from ``stat`` and ``list``;
- ``list(prefix)`` yields the objects whose key starts with ``prefix``, in key order;
- ``url`` is a direct (possibly presigned) download URL, or ``None`` when downloads must go through the
  API's ``/api/download/{file_id}`` route.
"""

from __future__ import annotations

import abc
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Final, Self

from faceswap.errors import BadOptionError, NotFoundError
from faceswap.storage.keys import key_name, validate_key, validate_prefix

DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"
DEFAULT_CHUNK_SIZE: Final = 1024 * 1024
MAX_METADATA_BYTES: Final = 2048
"""S3's limit on user metadata, applied everywhere so that every backend keeps what another one takes."""

LEFTOVER_AGE: Final = timedelta(hours=1)
"""How long a write's leftover must have been untouched before :meth:`Storage.sweep_leftovers` takes it
for a dead writer's: a live put keeps writing to it (every mebibyte locally, every part on S3)."""

PutData = bytes | bytearray | memoryview | AsyncIterable[bytes] | Path
"""What ``put`` stores: bytes in memory, chunks from an async iterator (an upload), or a local file."""

_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(;[ -~]*)?")
_METADATA_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a backend knows about one stored object."""

    key: str
    size: int
    content_type: str
    created: datetime
    """When the object was last written (timezone-aware, UTC); retention ages objects by it."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    """An opaque version tag for HTTP caching; changes whenever the object is rewritten."""

    @property
    def name(self) -> str:
        """The key's last segment (a file name for ``Content-Disposition``)."""
        return key_name(self.key)


def validate_content_type(content_type: str) -> str:
    """``content_type`` itself when it looks like ``type/subtype[; params]``; else ``BadOptionError``."""
    if not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        raise BadOptionError(f"content type must look like 'image/png'; got {content_type!r}")
    return content_type


def validate_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of ``metadata``: lowercase keys ``[a-z0-9_-]``, string values, at most 2 KiB in all."""
    if metadata is None:
        return {}
    checked: dict[str, str] = {}
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not _METADATA_KEY.fullmatch(name):
            raise BadOptionError(
                f"metadata names must be lowercase letters, digits, '_' or '-'; got {name!r}"
            )
        if not isinstance(value, str) or "\x00" in value:
            raise BadOptionError(f"metadata value of {name!r} must be a string without NUL")
        total += len(name.encode()) + len(value.encode("utf-8", "surrogatepass"))
        checked[name] = value
    if total > MAX_METADATA_BYTES:
        raise BadOptionError(f"metadata must be at most {MAX_METADATA_BYTES} bytes in all; got {total}")
    return checked


def check_stream(chunk_size: int, start: int, stop: int | None) -> None:
    """``BadOptionError`` unless ``chunk_size`` is positive and ``0 <= start <= stop`` (``stop`` may be None)."""
    if chunk_size <= 0:
        raise BadOptionError(f"chunk_size must be positive; got {chunk_size}")
    if start < 0 or (stop is not None and stop < start):
        raise BadOptionError(f"a byte span runs from 0 <= start <= stop; got {start} to {stop}")


class Storage(abc.ABC):
    """Object storage opened from a URL (see :func:`faceswap.storage.open.open_storage`).

    Use it as an async context manager, or call :meth:`aclose` when done.
    """

    scheme: ClassVar[str]
    """The URL scheme that opens this backend (``file``, ``s3``, ...)."""

    @abc.abstractmethod
    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        """Stores ``data`` under ``key`` atomically (replacing any object there) and describes it."""

    @abc.abstractmethod
    def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        """The object's bytes ``start`` up to ``stop`` (None: its end) in chunks of at most ``chunk_size``,
        for downloads; ``NotFoundError`` on first iteration if missing, ``BadOptionError`` for a chunk size
        below 1 or a span that runs backwards."""

    @abc.abstractmethod
    async def stat(self, key: str) -> StoredObject:
        """The object's size, content type, creation time and metadata; ``NotFoundError`` if missing."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Removes the object; nothing happens if there is none."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        """The objects whose key starts with ``prefix`` (``""``: all), in key order."""

    @abc.abstractmethod
    async def health(self) -> bool:
        """``True`` when the storage can be written and read; raises ``StorageUnavailableError`` if not."""

    async def delete_all(self, keys: Iterable[str]) -> int:
        """Removes every object of ``keys`` (missing ones are no error); the number of keys."""
        count = 0
        for key in keys:
            await self.delete(key)
            count += 1
        return count

    async def get(self, key: str) -> bytes:
        """The whole object in memory; ``NotFoundError`` if missing. Prefer :meth:`stream` for videos."""
        parts = [chunk async for chunk in self.stream(key)]
        return b"".join(parts)

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        try:
            await self.stat(key)
        except NotFoundError:
            return False
        return True

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        """A URL a client can download the object from directly, valid for ``expires_s`` seconds, or
        ``None`` when downloads go through the API. It does not check that the object exists."""
        validate_key(key)
        if expires_s <= 0:
            raise BadOptionError(f"expires_s must be positive; got {expires_s}")
        return None

    async def sweep_leftovers(
        self, now: datetime, *, older_than: timedelta = LEFTOVER_AGE, prefix: str = ""
    ) -> int:
        """Removes the backend's own leftovers of interrupted writes (a killed process's temporary files,
        unfinished multipart uploads) for keys starting with ``prefix``, last written at or before
        ``now - older_than``; the number removed. Objects are untouched. ``older_than`` zero sweeps
        whatever is there, for a folder whose writers are all done or doomed (an attempt that lost its
        task)."""
        validate_prefix(prefix)
        return 0

    async def aclose(self) -> None:
        """Releases clients and connections; the storage is not used afterwards."""
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
