"""The workers' scratch folder, ``DATA_DIR/tmp``: one locked folder per task at work, and its sweep.

A processor that needs files on disk (a video's input and output, the first frame of a video to look
for faces in) works in a folder of its own, ``tmp/task-<task_id>-<random>/`` (:func:`task_scratch`),
deleted when the work ends. A process killed meanwhile (SIGKILL, out of memory, power loss) cannot
delete it, so :func:`sweep_scratch` removes such leftovers.

Age alone cannot tell a leftover from a folder in use: a video task may run for hours
(``VIDEO_TIMEOUT_S``) while its input, written once at the start, keeps its old time. So the process at
work holds an exclusive ``flock`` on its folder for as long as it works there, and the kernel drops the
lock when that process ends in any way, SIGKILL included. The folder is created under a staging name
(``.new-task-...``), locked, and only then renamed to ``task-...`` (the lock follows it), so a
``task-...`` folder whose lock the sweep can take without waiting has no live owner: it is removed at
once, even right after its process was killed. Anything else (a staging folder of a process killed
within that instant, files or folders of other programs, and every entry on a file system without
``flock``) is removed only once nothing in it has changed for :data:`~faceswap.storage.base.LEFTOVER_AGE`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Final

from faceswap.storage.base import LEFTOVER_AGE

logger = logging.getLogger(__name__)

SCRATCH_FOLDER: Final = "tmp"
TASK_PREFIX: Final = "task-"
STAGING_PREFIX: Final = ".new-"
"""A task folder's name until it is locked (the sweep takes it for one of anything else)."""


def scratch_root(data_dir: Path) -> Path:
    """The scratch folder under ``data_dir``."""
    return data_dir / SCRATCH_FOLDER


@contextlib.contextmanager
def task_scratch(root: Path, task_id: str) -> Iterator[Path]:
    """A fresh folder under ``root`` for task ``task_id``, locked while the block runs, then deleted."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f"{STAGING_PREFIX}{TASK_PREFIX}{task_id}-"))
    fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):  # no flock here: the folder is kept by its age alone
            fcntl.flock(fd, fcntl.LOCK_EX)
        folder = staging.with_name(staging.name.removeprefix(STAGING_PREFIX))
        try:
            os.rename(staging, folder)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)  # after the folder is gone: the lock covers it to the end


def sweep_scratch(root: Path, now: float, *, older_than: timedelta = LEFTOVER_AGE) -> int:
    """Removes the leftovers in scratch folder ``root`` at POSIX time ``now`` (see the module docstring):
    task folders whose lock nobody holds, anything else unchanged for ``older_than``. The number of
    entries removed."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        path = Path(entry.path)
        try:
            if _remove_if_left(path, entry.name.startswith(TASK_PREFIX), now, older_than):
                removed += 1
        except FileNotFoundError:
            continue  # renamed or deleted by its owner meanwhile
        except OSError as exc:
            logger.warning("scratch leftover %s not removed: %s", path.name, exc.strerror or exc)
    if removed:
        logger.info("removed %d leftover(s) of killed work from the scratch folder", removed)
    return removed


def _remove_if_left(path: Path, task_folder: bool, now: float, older_than: timedelta) -> bool:
    if path.is_dir() and not path.is_symlink():
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            lock = _try_lock(fd) if task_folder else None
            if lock is False:
                return False  # a live process works there
            if lock is None and now - _last_change(path) <= older_than.total_seconds():
                return False
            shutil.rmtree(path)
            return True
        finally:
            os.close(fd)
    if now - path.lstat().st_mtime <= older_than.total_seconds():
        return False
    path.unlink()
    return True


def _try_lock(fd: int) -> bool | None:
    """True: locked (nobody held it); False: another holder has it; None: this file system has no flock."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _last_change(folder: Path) -> float:
    """The latest modification time of ``folder`` and of anything in it (symlinks not followed)."""
    latest = folder.lstat().st_mtime
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in (*dirnames, *filenames):
            with contextlib.suppress(OSError):
                latest = max(latest, os.lstat(os.path.join(dirpath, name)).st_mtime)
    return latest
