"""What only the SQLite backend promises: its URL, its file, and two processes sharing it."""

from __future__ import annotations

import asyncio
import collections
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from saq import Status
from saq.queue.postgres import PostgresQueue
from saq.queue.redis import RedisQueue

from faceswap.errors import BadOptionError, QueueUnavailableError
from faceswap.service.queue import open_queue, sqlite_path_from_url
from faceswap.service.queue.sqlite import SqliteQueue

WORKER_SCRIPT = Path(__file__).with_name("sqlite_worker_process.py")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "DATA/queue.sqlite3"),
        ("sqlite://", "DATA/queue.sqlite3"),
        ("sqlite:///", "DATA/queue.sqlite3"),
        ("sqlite:///jobs.db", "DATA/jobs.db"),
        ("sqlite:///sub/jobs.db", "DATA/sub/jobs.db"),
        ("sqlite:////var/lib/fs/jobs.db", "/var/lib/fs/jobs.db"),
        ("sqlite:////var/lib/my%20queue.db", "/var/lib/my queue.db"),
    ],
)
def test_sqlite_url_names_a_file(url: str, expected: str) -> None:
    assert sqlite_path_from_url(url, Path("DATA")) == Path(expected)


@pytest.mark.parametrize("url", ["sqlite://host/file.db", "sqlite:///a.db?mode=ro", "file:///a.db"])
def test_bad_sqlite_url_is_rejected(url: str) -> None:
    with pytest.raises(BadOptionError):
        sqlite_path_from_url(url, Path("DATA"))


def test_open_queue_picks_the_backend_from_the_url(tmp_path: Path) -> None:
    default = open_queue("", name="q1", data_dir=tmp_path)
    assert isinstance(default, SqliteQueue)
    assert (default.name, default.path) == ("q1", tmp_path / "queue.sqlite3")
    assert isinstance(open_queue("redis://127.0.0.1:1/0", name="q2", data_dir=tmp_path), RedisQueue)
    for url in ("postgres://u@127.0.0.1:1/db", "postgresql://u@127.0.0.1:1/db"):
        queue = open_queue(url, name="q3", data_dir=tmp_path)
        assert isinstance(queue, PostgresQueue)
        assert queue.name == "q3"
    with pytest.raises(BadOptionError, match="queue URL"):
        open_queue("amqp://127.0.0.1", data_dir=tmp_path)


@pytest.mark.asyncio
async def test_unconnected_queue_raises(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.sqlite3")
    with pytest.raises(QueueUnavailableError):
        await queue.enqueue("f")
    await queue.connect()
    await queue.disconnect()
    with pytest.raises(QueueUnavailableError):
        await queue.count("queued")
    await queue.disconnect()  # twice is fine


@pytest.mark.asyncio
async def test_file_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(QueueUnavailableError, match="schema version 99"):
        await SqliteQueue(path).connect()


@pytest.mark.asyncio
async def test_file_is_in_wal_mode_and_shared_by_queue_instances(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "q.sqlite3"
    producer, consumer, other = (
        SqliteQueue(path, name="a"),
        SqliteQueue(path, name="a"),
        SqliteQueue(path, name="b"),
    )
    for q in (producer, consumer, other):
        await q.connect()
    try:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        job = await producer.enqueue("f", key="same-key")
        assert job is not None
        assert await other.enqueue("f", key="same-key") is not None  # keys are per queue name
        taken = await consumer.dequeue(timeout=1)
        assert taken is not None
        assert (taken.key, taken.status, taken.queue) == ("same-key", Status.ACTIVE, consumer)
        assert await consumer.dequeue(timeout=0.1) is None
        assert (await producer.count("active"), await other.count("queued")) == (1, 1)
    finally:
        for q in (producer, consumer, other):
            await q.disconnect()


@pytest.mark.asyncio
async def test_enqueue_wakes_a_waiting_dequeue_at_once(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.sqlite3", poll_interval=5)
    await queue.connect()
    try:
        waiter = asyncio.create_task(queue.dequeue(timeout=10))
        await asyncio.sleep(0.1)
        t0 = time.monotonic()
        await queue.enqueue("f", key="k")
        job = await waiter
        assert job is not None
        assert job.key == "k"
        assert time.monotonic() - t0 < 1
    finally:
        await queue.disconnect()


@pytest.mark.asyncio
async def test_two_worker_processes_run_each_job_exactly_once(tmp_path: Path) -> None:
    db, log, name, n_jobs = tmp_path / "q.sqlite3", tmp_path / "runs.log", "shared", 60
    queue = SqliteQueue(db, name=name)
    await queue.connect()
    workers = [
        subprocess.Popen([sys.executable, str(WORKER_SCRIPT), str(db), name, str(log)]) for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while len((await queue.info())["workers"]) < 2:
            assert all(w.poll() is None for w in workers), "a worker process exited"
            assert time.monotonic() < deadline, "the worker processes did not start"
            await asyncio.sleep(0.1)

        keys = [f"job-{i}" for i in range(n_jobs)]
        for key in keys:
            assert await queue.enqueue("record", key=key, timeout=30) is not None
        while await queue.count("incomplete"):
            assert time.monotonic() < deadline + 30, "the jobs did not finish"
            await asyncio.sleep(0.1)
        statuses = {job.key: job.status for job in await queue.jobs(keys) if job}
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=20) for w in workers]
        await queue.disconnect()

    assert codes == [0, 0]
    assert statuses == dict.fromkeys(keys, Status.COMPLETE)
    runs = [line.split() for line in log.read_text().splitlines()]
    assert collections.Counter(key for key, _ in runs) == dict.fromkeys(keys, 1)
    assert len({pid for _, pid in runs}) == 2, "both processes should have taken jobs"


@pytest.mark.asyncio
async def test_job_claimed_by_a_cancelled_dequeue_goes_back(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.sqlite3")
    await queue.connect()
    try:
        await queue.enqueue("f", key="k")
        busy = queue._submit(lambda conn: time.sleep(0.3))  # the database thread is busy: the claim waits
        taker = asyncio.create_task(queue.dequeue(timeout=5))
        await asyncio.sleep(0.1)
        taker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await taker
        busy.result(timeout=5)
        job = await queue.dequeue(timeout=2, poll_interval=0.05)  # claimed after the cancel, then put back
        assert job is not None
        assert job.key == "k"
    finally:
        await queue.disconnect()
