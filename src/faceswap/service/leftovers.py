"""Sweeping what killed work left behind: when the API and workers start, and with the API's retention.

A process killed while it wrote (SIGKILL, out of memory, power loss) leaves two kinds of leftovers:

- in the storage, the leftovers of interrupted puts (:meth:`~faceswap.storage.base.Storage.sweep_leftovers`:
  a local storage's hidden temporary files and orphan sidecars, S3's unfinished multipart uploads);
- in the scratch folder ``DATA_DIR/tmp``, the folders of the tasks it worked on
  (:mod:`faceswap.service.scratch`).

Each sweep tells a leftover from work in progress by itself (an hour without a change for storage
writes, a lock held by the live process for scratch folders), so it is safe while other processes
work: an API replica or a worker starting beside running ones deletes nothing of theirs. The leftovers
of an attempt that lost its task go at once with its files (:mod:`faceswap.service.attempt_files`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from faceswap.errors import FaceswapError
from faceswap.service.scratch import scratch_root, sweep_scratch
from faceswap.storage.base import Storage

logger = logging.getLogger(__name__)


async def sweep_leftovers(storage: Storage, data_dir: Path, now: datetime | None = None) -> int:
    """Removes the stale leftovers in ``storage`` and in ``data_dir``'s scratch folder; the number
    removed. Never raises: a storage that cannot be reached is logged and swept next time."""
    now = now or datetime.now(UTC)
    removed = await asyncio.to_thread(sweep_scratch, scratch_root(data_dir), now.timestamp())
    try:
        removed += await storage.sweep_leftovers(now)
    except FaceswapError as error:
        logger.warning("leftovers of interrupted writes not swept: %s: %s", error.code, error.message)
    except Exception:
        logger.exception("sweeping the leftovers of interrupted writes failed")
    return removed
