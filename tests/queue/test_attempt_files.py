"""Output files of superseded attempts, on SQLite, Redis and PostgreSQL with real local storage.

Each attempt stores its outputs under its own folder (``results/<task_id>/<attempt>/``) through
:class:`AttemptOutputs`, and the worker's ``after_process`` hook (the real one) tidies up when the
attempt ends. An attempt swept while it still ran (its heartbeat late on a saturated machine) that
finishes after the owner must leave the owner's result and bytes as they are, and nothing of its own.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from saq import Queue
from saq.job import Job, Status

from faceswap.config import Settings
from faceswap.service.attempt_files import discard_attempt
from faceswap.service.processors.context import WorkerContext
from faceswap.service.processors.outputs import AttemptOutputs
from faceswap.service.queue.attempts import attempt_name
from faceswap.service.queue.sweep import recover
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.records import TASK_FUNCTION, job_document
from faceswap.service.worker.run import OUTPUTS_CTX, after_process
from faceswap.storage.base import PutData, StoredObject
from faceswap.storage.keys import attempt_prefix, results_prefix
from faceswap.storage.local import LocalStorage
from tests.queue.jobs import make_stuck, start
from tests.service import killed_work

pytestmark = pytest.mark.timeout(30)

TASK = TaskCreate.model_validate(
    {
        "workflow": "face_swap",
        "params": {"input_data": {"wf_json": {"source_url": "a" * 32, "target_url": "b" * 32}}},
    }
)


class CountingStorage(LocalStorage):
    """Local storage that counts its listings (what tidying up costs on a listing-heavy backend)."""

    lists = 0

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        self.lists += 1
        async for obj in super().list(prefix):
            yield obj


def worker_of(tmp_path: Path) -> WorkerContext:
    storage = CountingStorage(tmp_path / "files", fsync=False)
    return WorkerContext.from_settings(Settings(data_dir=tmp_path), storage)


async def submit(queue: Queue) -> str:
    key = f"t-{uuid.uuid4().hex}"
    await queue.enqueue(TASK_FUNCTION, key=key, heartbeat=2, timeout=60, retries=3, **job_document(TASK))
    return key


async def sweep(queue: Queue, key: str) -> None:
    """The job's heartbeat lapses (its worker starved or killed) and a sweep re-queues it."""
    assert await recover(queue, await make_stuck(queue, key))


def outputs_of(worker: WorkerContext, job: Job) -> AttemptOutputs:
    return AttemptOutputs(worker.storage, job.key, attempt_name(job))


async def ended(job: Job, worker: WorkerContext, outputs: AttemptOutputs) -> None:
    """SAQ's after-process hook, as the worker runs it once the attempt's last write is done."""
    ctx: dict[str, Any] = {"job": job, "worker": worker, OUTPUTS_CTX: outputs}
    await after_process(ctx)


async def stored_keys(worker: WorkerContext, task_id: str) -> list[str]:
    return [obj.key async for obj in worker.storage.list(results_prefix(task_id))]


async def test_a_stale_attempt_finishing_after_the_owner_leaves_no_trace(
    queue: Queue, tmp_path: Path
) -> None:
    worker = worker_of(tmp_path)
    key = await submit(queue)
    first = await start(queue, key, "late")
    await sweep(queue, key)
    second = await start(queue, key, "owner")
    stale, owner = outputs_of(worker, first), outputs_of(worker, second)

    owned = await owner.store("output.png", b"owner bytes", "image/png")
    await second.finish(Status.COMPLETE, result=owned)
    await ended(second, worker, owner)

    # the swept attempt still ran: it stores the same output name and tries to finish the task
    late = await stale.store("output.png", b"stale bytes", "image/png")
    assert late["file_id"] != owned["file_id"]
    assert await worker.storage.get(owned["file_id"]) == b"owner bytes"
    await first.finish(Status.COMPLETE, result=late)  # dropped: the job is the second attempt's
    await ended(first, worker, stale)

    stored = await queue.job(key)
    assert stored is not None
    assert (stored.status, stored.result) == (Status.COMPLETE, owned)
    assert await worker.storage.get(owned["file_id"]) == b"owner bytes"
    assert await stored_keys(worker, key) == [owned["file_id"]]  # the stale output is gone


async def test_outputs_of_an_attempt_killed_before_finishing_go_when_another_completes(
    queue: Queue, tmp_path: Path
) -> None:
    worker = worker_of(tmp_path)
    key = await submit(queue)
    first = await start(queue, key, "killed")
    await outputs_of(worker, first).store("output.png", b"never reported", "image/png")
    await sweep(queue, key)  # its worker was SIGKILLed after the upload: it never tidies up
    second = await start(queue, key, "owner")
    owner = outputs_of(worker, second)
    owned = await owner.store("output.png", b"owner bytes", "image/png")
    await second.finish(Status.COMPLETE, result=owned)
    await ended(second, worker, owner)
    assert await stored_keys(worker, key) == [owned["file_id"]]


async def test_attempts_that_do_not_complete_leave_no_output(queue: Queue, tmp_path: Path) -> None:
    worker = worker_of(tmp_path)
    key = await submit(queue)
    first = await start(queue, key, "w1")
    retried = outputs_of(worker, first)
    await retried.store("00-partial.png", b"half of the outputs", "image/png")
    await first.retry("engine_unavailable")  # a transient error: the task goes back to the queue
    await ended(first, worker, retried)
    assert await stored_keys(worker, key) == []
    stored = await queue.job(key)
    assert stored is not None
    assert stored.status == Status.QUEUED

    second = await start(queue, key, "w2")
    failed = outputs_of(worker, second)
    await failed.store("00-partial.png", b"half again", "image/png")
    await second.finish(Status.FAILED, error="no_face")
    await ended(second, worker, failed)
    assert await stored_keys(worker, key) == []


async def test_a_first_attempt_that_completes_keeps_its_output_without_listing(
    queue: Queue, tmp_path: Path
) -> None:
    worker = worker_of(tmp_path)
    key = await submit(queue)
    job = await start(queue, key, "w")
    outputs = outputs_of(worker, job)
    result = await outputs.store("output.png", b"bytes", "image/png")
    await job.finish(Status.COMPLETE, result=result)
    storage = worker.storage
    assert isinstance(storage, CountingStorage)
    await ended(job, worker, outputs)
    assert storage.lists == 0  # the only attempt ever: nothing of others to look for
    assert await storage.get(result["file_id"]) == b"bytes"


class GatedStorage(LocalStorage):
    """Local storage whose writes wait for ``gate`` (a slow upload)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=False)
        self.gate = asyncio.Event()

    async def put(self, key: str, data: PutData, **kwargs: Any) -> StoredObject:
        await self.gate.wait()
        return await super().put(key, data, **kwargs)


async def test_a_write_cancelled_midway_still_ends_before_its_files_are_deleted(tmp_path: Path) -> None:
    storage = GatedStorage(tmp_path / "files")
    outputs = AttemptOutputs(storage, "t-1", "a1")
    storing = asyncio.create_task(outputs.store("output.mp4", b"video", "video/mp4"))
    await asyncio.sleep(0)
    storing.cancel()  # the attempt is stopped (lost its task) while its upload runs
    with pytest.raises(asyncio.CancelledError):
        await storing
    settling = asyncio.create_task(outputs.settle())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not settling.done()  # the write has not ended yet: deleting now would leave it behind
    storage.gate.set()
    await settling
    assert outputs.keys == ["results/t-1/a1/output.mp4"]
    assert await storage.exists(outputs.keys[0])
    assert await discard_attempt(storage, "t-1", "a1", outputs.keys) == 1
    assert [obj.key async for obj in storage.list("results/")] == []


def on_disk(storage: LocalStorage, task_id: str) -> list[str]:
    """Every file under the task's results folder, hidden ones (temporary files, sidecars) included."""
    folder = storage.root / results_prefix(task_id)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


async def test_a_write_killed_in_an_attempt_folder_goes_with_the_attempts_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files", fsync=False)
    await storage.put("results/t-1/a1/face-0.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    ready = tmp_path / "ready"
    writer = subprocess.Popen(killed_work.start("put", storage.root, "results/t-1/a1/output.mp4", ready))
    try:
        killed_work.wait_ready(ready, lambda: writer.poll() is None)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    killed = [p for p in (storage.root / "results/t-1/a1").iterdir() if p.name.startswith(".output.mp4.")]
    assert len(killed) == 1  # the killed write's temporary file, 2 MiB, never listed
    assert killed[0].stat().st_size == 2 * killed_work.CHUNK
    assert [obj.key async for obj in storage.list("results/")] == ["results/t-1/a1/face-0.jpg"]
    owner_writing = storage.root / "results/t-1/a2/.output.mp4.a2writes.tmp"
    owner_writing.parent.mkdir()
    owner_writing.write_bytes(b"the owner's write in progress")

    assert await discard_attempt(storage, "t-1", "a1") == 1
    assert on_disk(storage, "t-1") == ["a2/.output.mp4.a2writes.tmp"]  # the attempt's folder is gone


async def test_a_finished_tasks_folder_keeps_no_leftover_of_killed_attempts(
    queue: Queue, tmp_path: Path
) -> None:
    worker = worker_of(tmp_path)
    storage = worker.storage
    assert isinstance(storage, LocalStorage)
    key = await submit(queue)
    first = await start(queue, key, "killed")
    killed = outputs_of(worker, first)
    await killed.store("face-0.jpg", b"stored before the kill", "image/jpeg")
    leftover = storage.root / attempt_prefix(key, killed.attempt) / ".output.mp4.k1ll3d00.tmp"
    leftover.write_bytes(b"half a video")  # its worker was SIGKILLed while it stored the video
    await sweep(queue, key)
    second = await start(queue, key, "owner")
    owner = outputs_of(worker, second)
    owned = await owner.store("output.png", b"owner bytes", "image/png")
    await second.finish(Status.COMPLETE, result=owned)
    await ended(second, worker, owner)
    assert on_disk(storage, key) == [f"{owner.attempt}/.output.png.meta.json", f"{owner.attempt}/output.png"]
