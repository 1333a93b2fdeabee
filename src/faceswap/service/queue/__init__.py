"""Task queue: SAQ queues opened from one URL (``sqlite://``, ``redis://``, ``postgres://``).

:func:`open_queue` picks the backend; :class:`~faceswap.service.queue.sqlite.SqliteQueue` is the
embedded default. Backends are imported lazily, so importing this package needs none of them.
"""

from faceswap.service.queue.open import open_queue, sqlite_path_from_url

__all__ = ["open_queue", "sqlite_path_from_url"]
