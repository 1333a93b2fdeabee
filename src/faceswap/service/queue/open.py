"""``open_queue``: one URL setting picks the queue backend; each backend is imported only when used.

URLs:

- ``""``, ``sqlite://`` or ``sqlite:///``: the embedded default, ``DATA_DIR/queue.sqlite3``;
  ``sqlite:///jobs.sqlite3``: a file relative to ``DATA_DIR``; ``sqlite:////abs/jobs.sqlite3``:
  an absolute path (SQLAlchemy's convention);
- ``redis://`` / ``rediss://`` / ``unix://``: SAQ's ``RedisQueue`` with attempt-owned writes
  (:class:`~faceswap.service.queue.redis_queue.OwnedRedisQueue`);
- ``postgres://`` / ``postgresql://``: SAQ's ``PostgresQueue`` with attempt-owned writes
  (:class:`~faceswap.service.queue.postgres_queue.OwnedPostgresQueue`; its tables ``saq_jobs``,
  ``saq_stats`` and ``saq_versions`` are created on ``connect()``).

The queue comes back unconnected; the caller ``await queue.connect()`` and, at the end,
``await queue.disconnect()``.
"""

from __future__ import annotations

import typing as t
from pathlib import Path
from urllib.parse import unquote, urlsplit

from faceswap.errors import BadOptionError

if t.TYPE_CHECKING:
    from faceswap.service.queue.owned import LifecycleQueue

DEFAULT_SQLITE_FILE = "queue.sqlite3"


def sqlite_path_from_url(url: str, data_dir: Path) -> Path:
    """The database file a ``sqlite://`` URL names; relative paths are under ``data_dir``."""
    if url in ("", "sqlite:", "sqlite://"):
        return data_dir / DEFAULT_SQLITE_FILE
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc or parts.query or parts.fragment:
        raise BadOptionError(
            f"a SQLite queue URL looks like sqlite:///file or sqlite:////abs/file; got {url!r}"
        )
    path = unquote(parts.path)[1:]  # the path after "sqlite:///"
    if not path:
        return data_dir / DEFAULT_SQLITE_FILE
    return Path(path) if Path(path).is_absolute() else data_dir / path


def open_queue(url: str, *, name: str = "faceswap", data_dir: Path) -> LifecycleQueue:
    """The SAQ queue the URL names (see the module docstring); not yet connected."""
    scheme = urlsplit(url).scheme.lower() if url else "sqlite"
    if scheme == "sqlite":
        from faceswap.service.queue.sqlite import SqliteQueue

        return SqliteQueue(sqlite_path_from_url(url, data_dir), name=name)
    if scheme in ("redis", "rediss", "unix"):
        from redis import asyncio as aioredis

        from faceswap.service.queue.redis_queue import OwnedRedisQueue

        return OwnedRedisQueue(aioredis.from_url(url), name=name)
    if scheme in ("postgres", "postgresql"):
        from faceswap.service.queue.postgres_queue import OwnedPostgresQueue

        queue = OwnedPostgresQueue.from_url(url, name=name)
        assert isinstance(queue, OwnedPostgresQueue)  # SAQ's from_url builds the class it is called on
        return queue
    raise BadOptionError(f"queue URL must start with sqlite://, redis:// or postgres(ql)://; got {url!r}")
