"""Work in a process of its own that waits to be killed in the middle, for the leftover tests.

``python killed_work.py put ROOT KEY READY``: a local storage put of ``KEY`` under ``ROOT`` that has
written 2 MiB and waits for more data; ``python killed_work.py scratch DATA_DIR TASK_ID READY``: a task's
scratch folder with a file in it, held (locked) as a running task holds it. Either writes ``READY`` once
it is in that state (the scratch folder's path, for ``scratch``) and then waits to be killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from faceswap.service.scratch import scratch_root, task_scratch
from faceswap.storage.local import LocalStorage

CHUNK = 1024 * 1024
SUBPROCESS_WAIT_S = 30.0


def start(mode: str, where: Path, name: str, ready: Path) -> list[str]:
    """The command line of this script (run with ``sys.executable``)."""
    return [sys.executable, __file__, mode, str(where), name, str(ready)]


def wait_ready(ready: Path, alive: Callable[[], bool]) -> str:
    """``READY``'s content once the process wrote it; fails if the process ended first."""
    deadline = time.monotonic() + SUBPROCESS_WAIT_S
    while not ready.exists():
        assert alive(), "the process ended before it was ready"
        assert time.monotonic() < deadline, "the process did not get ready"
        time.sleep(0.02)
    return ready.read_text()


def announce(ready: Path, text: str) -> None:
    """Writes ``READY`` at once (renamed into place, so that it is never read half-written)."""
    part = ready.with_name(ready.name + ".part")
    part.write_text(text)
    os.replace(part, ready)


async def put(root: Path, key: str, ready: Path) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(2):
            yield b"\0" * CHUNK
        await asyncio.sleep(0.2)  # the storage writes what it has gathered, on its thread
        announce(ready, key)
        await asyncio.sleep(3600)
        yield b""

    await LocalStorage(root, fsync=False).put(key, chunks(), content_type="video/mp4")


def scratch(data_dir: Path, task_id: str, ready: Path) -> None:
    with task_scratch(scratch_root(data_dir), task_id) as folder:
        (folder / "input.mp4").write_bytes(b"\0" * CHUNK)
        announce(ready, str(folder))
        time.sleep(3600)


if __name__ == "__main__":
    mode, where, name, marker = sys.argv[1:5]
    if mode == "put":
        asyncio.run(put(Path(where), name, Path(marker)))
    else:
        scratch(Path(where), name, Path(marker))
