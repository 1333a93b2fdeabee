"""``LocalStorage``: objects as plain files under one root folder (the ``file://`` backend).

Layout: the object ``results/abc/out.png`` is the file ``ROOT/results/abc/out.png``; its content type,
creation time and metadata live in the JSON sidecar ``ROOT/results/abc/.out.png.meta.json``. Keys never
start with a dot (:mod:`faceswap.storage.keys`), so sidecars and temporary files (``.out.png.*.tmp``)
cannot collide with objects and are never listed. A web server may serve ROOT directly.

Writes go to a temporary file in the target folder, are flushed to disk, and then the sidecar and
the object are moved into place with ``os.replace``: a reader sees a new key only once both exist.
(When a key is overwritten, a reader can for a moment see the previous bytes with the new sidecar.)
What a killed writer leaves is removed by :meth:`LocalStorage.sweep_leftovers`
(:mod:`faceswap.storage.leftovers`).
Every path is resolved and must stay under the root, symlinks included.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final

from faceswap.errors import (
    ConflictError,
    InvalidKeyError,
    NotFoundError,
    OutputError,
    StorageUnavailableError,
)
from faceswap.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    LEFTOVER_AGE,
    PutData,
    Storage,
    StoredObject,
    check_stream,
    validate_content_type,
    validate_metadata,
)
from faceswap.storage.chunks import as_chunks, checked
from faceswap.storage.files import (
    FILE_MODE,
    TEMP_SUFFIX,
    create_temp,
    describe,
    prune_empty_parents,
    sidecar_path,
    write_chunk,
    write_sidecar,
)
from faceswap.storage.keys import validate_key, validate_prefix
from faceswap.storage.leftovers import sweep_folder

logger = logging.getLogger(__name__)

_WRITE_BUFFER: Final = 1024 * 1024


class LocalStorage(Storage):
    """Objects as files under ``root`` (created on first write)."""

    scheme = "file"

    def __init__(self, root: Path, *, public_base_url: str | None = None, fsync: bool = True) -> None:
        self.root = Path(root).absolute()
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    # -- paths -------------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        """The file of ``key``; ``InvalidKeyError`` if the key is bad or resolves outside the root."""
        validate_key(key)
        root = self.root.resolve()
        path = root.joinpath(*key.split("/"))
        if not path.resolve().is_relative_to(root):
            raise InvalidKeyError(f"storage key {key!r} leads outside the storage root (symlink)")
        return path

    def _writable_path(self, key: str) -> Path:
        path = self._path(key)
        if path.is_dir():
            raise ConflictError(f"cannot store {key!r}: it is a folder of other objects")
        return path

    def _existing(self, key: str) -> tuple[Path, os.stat_result]:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFoundError(f"no stored object {key!r}") from None
        if not path.is_file():
            raise NotFoundError(f"no stored object {key!r}")
        return path, st

    async def local_path(self, key: str) -> Path:
        """The file holding ``key`` (for code that wants a path, such as video decoding)."""
        path, _ = await asyncio.to_thread(self._existing, key)
        return path

    # -- writing -----------------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        validate_key(key)
        validate_content_type(content_type)
        meta = validate_metadata(metadata)
        chunks = as_chunks(data)
        path = await asyncio.to_thread(self._writable_path, key)
        handle, temp = await asyncio.to_thread(create_temp, path, key)
        try:
            buffer = bytearray()
            async for item in chunks:
                chunk = checked(item)
                if len(buffer) + len(chunk) < _WRITE_BUFFER:
                    buffer += chunk  # gather small chunks: one thread hop per megabyte
                    continue
                if buffer:
                    buffer += chunk
                    block, buffer = bytes(buffer), bytearray()
                else:
                    block = bytes(chunk)  # no copy for bytes
                await asyncio.to_thread(write_chunk, handle, block, key)
            if buffer:
                await asyncio.to_thread(write_chunk, handle, bytes(buffer), key)
            record = {"content_type": content_type, "created": _now().isoformat(), "metadata": meta}
            return await asyncio.to_thread(self._commit, handle, temp, path, key, record)
        except BaseException:
            # also on cancellation: nothing half-written may stay behind
            handle.close()
            temp.unlink(missing_ok=True)
            raise

    def _commit(
        self, handle: IO[bytes], temp: Path, path: Path, key: str, record: dict[str, Any]
    ) -> StoredObject:
        try:
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
            handle.close()
            os.chmod(temp, FILE_MODE)
            write_sidecar(path, record, fsync=self.fsync)
            os.replace(temp, path)
        except IsADirectoryError:
            raise ConflictError(f"cannot store {key!r}: it is a folder of other objects") from None
        except OSError as exc:
            raise OutputError(f"cannot store {key!r}: {exc.strerror or exc}") from exc
        logger.debug("stored %s (%s)", key, record["content_type"])
        return describe(key, path, path.stat())

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    def _delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_dir() and not path.is_symlink():
            return  # a "folder" of other keys is no object
        try:
            path.unlink(missing_ok=True)
            sidecar_path(path).unlink(missing_ok=True)
        except NotADirectoryError:
            return
        except OSError as exc:
            raise OutputError(f"cannot delete {key!r}: {exc.strerror or exc}") from exc
        prune_empty_parents(path.parent, self.root.resolve())

    # -- reading -----------------------------------------------------------------------------------

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read_all, key)

    def _read_all(self, key: str) -> bytes:
        path, _ = self._existing(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no stored object {key!r}") from None

    async def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        check_stream(chunk_size, start, stop)
        handle = await asyncio.to_thread(self._open_read, key)
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = None if stop is None else stop - start
            while remaining != 0:
                wanted = chunk_size if remaining is None else min(chunk_size, remaining)
                chunk = await asyncio.to_thread(handle.read, wanted)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    def _open_read(self, key: str) -> IO[bytes]:
        path, _ = self._existing(key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no stored object {key!r}") from None

    async def stat(self, key: str) -> StoredObject:
        return await asyncio.to_thread(self._stat, key)

    def _stat(self, key: str) -> StoredObject:
        path, st = self._existing(key)
        return describe(key, path, st)

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self._existing, key)
        except NotFoundError:
            return False
        return True

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        validate_prefix(prefix)
        keys = await asyncio.to_thread(self._list_keys, prefix)
        for key in keys:
            try:
                yield await asyncio.to_thread(self._stat, key)
            except (NotFoundError, InvalidKeyError):
                continue  # deleted meanwhile, or a symlink leading out of the root

    def _list_keys(self, prefix: str) -> builtins.list[str]:
        root = self.root.resolve()
        folder = prefix if prefix.endswith("/") else prefix.rpartition("/")[0]
        start = root.joinpath(*folder.split("/")) if folder.strip("/") else root
        if not start.is_dir() or not start.resolve().is_relative_to(root):
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            base = Path(dirpath).relative_to(root).as_posix()
            for name in filenames:
                key = name if base == "." else f"{base}/{name}"
                if key.startswith(prefix) and not name.startswith("."):
                    with contextlib.suppress(InvalidKeyError):
                        found.append(validate_key(key))
        return sorted(found)

    # -- the rest ------------------------------------------------------------------------------------

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await super().url(key, expires_s=expires_s)
        if self.public_base_url is None:
            return None
        return f"{self.public_base_url}/{key}"

    async def sweep_leftovers(
        self, now: datetime, *, older_than: timedelta = LEFTOVER_AGE, prefix: str = ""
    ) -> int:
        """Hidden temporary files and orphan sidecars (see :mod:`faceswap.storage.leftovers`)."""
        validate_prefix(prefix)
        cutoff = (now - older_than).timestamp()
        removed = await asyncio.to_thread(sweep_folder, self.root, cutoff, prefix)
        if removed:
            logger.info("removed %d leftover file(s) of interrupted writes under %r", removed, prefix or "/")
        return removed

    async def health(self) -> bool:
        await asyncio.to_thread(self._probe)
        return True

    def _probe(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".health.", suffix=TEMP_SUFFIX, dir=self.root)
            try:
                with os.fdopen(fd, "r+b") as handle:
                    handle.write(b"ok")
                    handle.seek(0)
                    if handle.read() != b"ok":
                        raise StorageUnavailableError(f"storage folder {self.root} reads back wrong bytes")
            finally:
                os.unlink(name)
        except OSError as exc:
            raise StorageUnavailableError(
                f"storage folder {self.root} is not writable: {exc.strerror or exc}"
            ) from exc


def _now() -> datetime:
    return datetime.now(UTC)
