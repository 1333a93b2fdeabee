"""Leftovers of interrupted writes in a local storage folder, and their sweep (blocking I/O).

:class:`~faceswap.storage.local.LocalStorage` writes an object to a hidden temporary file beside it
(``.out.png.<random>.tmp``, its sidecar to ``.out.png.meta.json.<random>.tmp``) and renames both into
place; a writer that is killed, or a put that fails before its clean-up, leaves them behind, and a
delete interrupted between the object and its sidecar leaves an orphan sidecar (``.out.png.meta.json``
with no ``out.png``). None of them is ever listed. Each belongs to the key of the object it was written
for (``folder/out.png``), which is how a sweep limited to a prefix (one attempt's folder) finds its own.

Age tells a leftover from a write in progress: a put writes its temporary file at least once per
mebibyte it receives and its data is already at hand (an upload spooled by the API, a worker's output),
so a temporary file untouched for :data:`~faceswap.storage.base.LEFTOVER_AGE` (an hour) has no live
writer. A caller that knows every writer of a folder is done or doomed (an attempt that lost its task)
sweeps it with no age at all.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

from faceswap.storage.files import SIDECAR_SUFFIX, TEMP_SUFFIX, prune_empty_parents

HIDDEN: Final = "."


def leftover_name(name: str, folder: Path) -> str | None:
    """The name of the object a hidden file ``name`` in ``folder`` was written for, if it is a leftover
    (a temporary file, or a sidecar without its object); None for anything else."""
    if not name.startswith(HIDDEN):
        return None
    if name.endswith(TEMP_SUFFIX):
        written = name[len(HIDDEN) : -len(TEMP_SUFFIX)].rpartition(".")[0]  # drop mkstemp's random part
        return written.removesuffix(SIDECAR_SUFFIX) or None
    if name.endswith(SIDECAR_SUFFIX):
        of = name[len(HIDDEN) : -len(SIDECAR_SUFFIX)]
        return of if of and not (folder / of).exists() else None
    return None


def sweep_folder(root: Path, cutoff: float, prefix: str = "") -> int:
    """Removes the leftovers under ``root`` last modified at or before ``cutoff`` (a POSIX time) whose
    object's key starts with ``prefix``; prunes the folders left empty (up to ``root``). The number of
    files removed."""
    folder = prefix if prefix.endswith("/") else prefix.rpartition("/")[0]
    start = root.joinpath(*folder.split("/")) if folder else root
    if not start.is_dir() or not start.resolve().is_relative_to(root.resolve()):
        return 0
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(start, topdown=False):
        here = Path(dirpath)
        base = here.relative_to(root).as_posix()
        for name in filenames:
            of = leftover_name(name, here)
            key = of if of is None or base == "." else f"{base}/{of}"
            if key is None or not key.startswith(prefix):
                continue
            path = here / name
            try:
                if path.lstat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        if here != root:
            with contextlib.suppress(OSError):  # not empty: kept
                here.rmdir()
    if start != root:
        prune_empty_parents(start.parent, root)
    return removed
