"""Files of the local backend: temporary files, JSON sidecars and object descriptions (blocking I/O).

The async :class:`~faceswap.storage.local.LocalStorage` calls these on a worker thread.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from faceswap.errors import ConflictError, OutputError
from faceswap.storage.base import DEFAULT_CONTENT_TYPE, StoredObject

SIDECAR_SUFFIX: Final = ".meta.json"
TEMP_SUFFIX: Final = ".tmp"
FILE_MODE: Final = 0o644


def sidecar_path(path: Path) -> Path:
    """Where the metadata of the object stored at ``path`` lives."""
    return path.with_name(f".{path.name}{SIDECAR_SUFFIX}")


def create_temp(path: Path, key: str) -> tuple[IO[bytes], Path]:
    """An open temporary file beside ``path``; retried when a concurrent delete prunes the folder."""
    for _ in range(3):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        except FileNotFoundError:
            continue
        except (FileExistsError, NotADirectoryError):
            raise ConflictError(f"cannot store {key!r}: a part of its folder is an object") from None
        except OSError as exc:
            raise OutputError(f"cannot store {key!r}: {exc.strerror or exc}") from exc
        return os.fdopen(fd, "wb"), Path(name)
    raise OutputError(f"cannot store {key!r}: its folder keeps disappearing")


def write_chunk(handle: IO[bytes], data: bytes, key: str) -> None:
    try:
        handle.write(data)
    except OSError as exc:
        raise OutputError(f"cannot store {key!r}: {exc.strerror or exc}") from exc


def write_sidecar(path: Path, record: dict[str, Any], *, fsync: bool) -> None:
    target = sidecar_path(path)
    fd, name = tempfile.mkstemp(prefix=f"{target.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(name, FILE_MODE)
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def describe(key: str, path: Path, st: os.stat_result) -> StoredObject:
    """The object's description from its file status and sidecar (guessing for hand-copied files)."""
    record = _read_sidecar(path)
    content_type = record.get("content_type")
    if not isinstance(content_type, str):
        content_type = mimetypes.guess_type(path.name)[0] or DEFAULT_CONTENT_TYPE
    try:
        created = datetime.fromisoformat(record["created"])
    except (KeyError, TypeError, ValueError):
        created = datetime.fromtimestamp(st.st_mtime, UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    raw_meta = record.get("metadata")
    metadata = (
        {str(k): str(v) for k, v in raw_meta.items()} if isinstance(raw_meta, dict) else dict[str, str]()
    )
    return StoredObject(
        key=key,
        size=st.st_size,
        content_type=content_type,
        created=created,
        metadata=metadata,
        etag=f"{st.st_mtime_ns:x}-{st.st_size:x}",
    )


def prune_empty_parents(folder: Path, root: Path) -> None:
    """Removes now-empty folders from ``folder`` up to (not including) ``root``."""
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
