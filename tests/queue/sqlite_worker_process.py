"""A SAQ worker process on a SQLite queue, for tests/queue/test_sqlite_queue.py.

Usage: ``python sqlite_worker_process.py DB_FILE QUEUE_NAME LOG_FILE``. Each job appends
"<key> <pid>" to LOG_FILE; SIGTERM stops the worker.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from saq import Worker

from faceswap.service.queue.sqlite import SqliteQueue


async def main(db: Path, name: str, log: Path) -> None:
    async def record(ctx: Any) -> int:
        await asyncio.sleep(0.01)
        with log.open("a") as out:  # one short O_APPEND write per job: atomic between processes
            out.write(f"{ctx['job'].key} {os.getpid()}\n")
        return os.getpid()

    queue = SqliteQueue(db, name=name, poll_interval=0.02)
    await queue.connect()
    worker: Worker[Any] = Worker(
        queue,
        [("record", record)],
        concurrency=4,
        timers={"schedule": 1, "worker_info": 1, "sweep": 60, "abort": 1},
    )
    try:
        await worker.start()
    finally:
        await queue.disconnect()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
