"""Remote workers' result files and superseded attempts, against the app on each queue backend.

A remote worker's lease is one attempt at its task. Its uploads are stored under that attempt's folder;
once the task has been taken from it (swept and re-queued, leased again, claimed by a queue worker) its
uploads and completion are refused, what it uploaded is deleted, and the owner's result and bytes are
never touched.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from saq.job import Status

from faceswap.service.comm.leases import Leases
from faceswap.service.queue.attempts import attempt_of
from faceswap.service.queue.sweep import recover
from faceswap.storage.base import PutData, StoredObject
from faceswap.storage.keys import results_prefix
from faceswap.storage.local import LocalStorage
from faceswap.storage.view import StorageView
from tests.service.test_comm_routes import AUTH, api, call, create, lease, task

__all__ = ["api"]  # the fixture, on each queue backend


JPEG = b"\xff\xd8\xff"
"""The start of a JPEG file: what an uploaded result must begin with to be taken for an image."""


def upload(client: TestClient, leased: dict[str, Any], data: bytes, name: str = "output.jpg") -> Any:
    """Uploads a result file of the lease: ``data`` after a JPEG signature."""
    headers = {**AUTH, "X-Lease-Id": leased["lease"]["lease_id"]}
    files = {"file": (name, JPEG + data, "image/jpeg")}
    return client.post(f"/api/comm/task/{leased['taskId']}/files", headers=headers, files=files)


def refused(answer: Any, code: str) -> None:
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == code


def leases_of(client: TestClient) -> Leases:
    leases: Leases = client.app.state.faceswap_comm  # type: ignore[attr-defined]
    return leases


def stored_keys(client: TestClient, task_id: str) -> list[str]:
    storage = leases_of(client).storage

    async def keys() -> list[str]:
        return [obj.key async for obj in storage.list(results_prefix(task_id))]

    return client.portal.call(keys)  # type: ignore[union-attr]


async def swept(leases: Leases, task_id: str) -> None:
    """The lease's heartbeat lapses and a sweep re-queues the task (this one, or the API's upkeep)."""
    queue = leases.queue
    stored = await queue.job(task_id)
    assert stored is not None
    before = attempt_of(stored)
    stored.touched -= 10_000_000
    await queue._update(queue.copy(stored))
    await recover(queue, stored)
    after = await queue.job(task_id)
    assert after is not None
    assert (after.status, after.attempts) == (Status.QUEUED, 1)
    assert attempt_of(after) != before


def sweep(client: TestClient, task_id: str) -> None:
    client.portal.call(swept, leases_of(client), task_id)  # type: ignore[union-attr]


def test_a_swept_lease_cannot_upload_or_complete_and_leaves_no_file(api: TestClient) -> None:
    task_id = create(api)
    stale = lease(api)
    early = upload(api, stale, b"stale, early").json()["data"]["key"]
    assert early.startswith(f"results/{task_id}/{stale['lease']['attempt_id']}/")
    sweep(api, task_id)

    refused(upload(api, stale, b"stale, late"), "attempt_superseded")
    assert stored_keys(api, task_id) == []  # the refusal also deleted what the attempt had uploaded

    owner = lease(api)
    assert owner["lease"]["attempt_id"] != stale["lease"]["attempt_id"]
    key = upload(api, owner, b"owner").json()["data"]["key"]
    assert call(api, owner, "complete", result={"file_id": key, "kind": "image"}).status_code == 200
    refused(call(api, stale, "complete", result={"file_id": early, "kind": "image"}), "lease_lost")
    refused(upload(api, stale, b"stale, after the owner"), "lease_lost")

    finished = task(api, task_id)
    assert finished["status"] == "COMPLETED"
    assert finished["result"]["file_id"] == key
    assert api.get(f"/api/download/{key}").content == JPEG + b"owner"
    assert api.get(f"/api/download/results/{task_id}/output.jpg").content == JPEG + b"owner"
    assert stored_keys(api, task_id) == [key]


class SweptDuringUpload(StorageView):
    """The app's storage, but the task is swept while an upload is being stored (a long video upload
    on a stalled connection)."""

    def __init__(self, inner: LocalStorage, leases: Leases, task_id: str) -> None:
        super().__init__(inner)
        self.leases, self.task_id = leases, task_id

    async def put(self, key: str, data: PutData, **kwargs: Any) -> StoredObject:
        stored = await self.inner.put(key, data, **kwargs)
        await swept(self.leases, self.task_id)
        return stored


def test_an_upload_that_ends_after_its_attempt_lost_the_task_is_discarded(api: TestClient) -> None:
    task_id = create(api)
    stale = lease(api)
    leases = leases_of(api)
    inner = leases.storage
    assert isinstance(inner, LocalStorage)
    leases.storage = SweptDuringUpload(inner, leases, task_id)
    try:
        refused(upload(api, stale, b"stored as the task was swept"), "attempt_superseded")
    finally:
        leases.storage = inner
    assert stored_keys(api, task_id) == []
    assert task(api, task_id)["status"] == "PENDING"


def test_a_completion_may_point_only_at_its_own_attempts_files(api: TestClient) -> None:
    task_id = create(api)
    stale = lease(api)
    other = upload(api, stale, b"stale").json()["data"]["key"]
    sweep(api, task_id)
    owner = lease(api)
    own = upload(api, owner, b"owner").json()["data"]["key"]
    for result in (
        {"file_id": other},  # the superseded attempt's file
        {"file_id": own, "outputs": [{"file_id": other}]},  # nested, as a ComfyUI workflow's outputs
        {"file_id": f"results/{task_id}/output.jpg"},  # outside any attempt folder
    ):
        answer = call(api, owner, "complete", result=result)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "bad_option"
    assert task(api, task_id)["status"] == "PROCESSING"
    assert (
        call(api, owner, "complete", result={"file_id": own, "outputs": [{"file_id": own}]}).status_code
        == 200
    )
    assert stored_keys(api, task_id) == [own]  # the completion pruned the superseded attempt's file


def test_a_lease_whose_task_a_queue_worker_claimed_again_is_refused(api: TestClient) -> None:
    """A queue worker's claim keeps the old lease record on the job; the lease's attempt tells them apart."""
    task_id = create(api)
    stale = lease(api)
    early = upload(api, stale, b"stale").json()["data"]["key"]
    sweep(api, task_id)
    queue = leases_of(api).queue
    claimed = api.portal.call(queue.dequeue, 3)  # type: ignore[union-attr]
    assert claimed is not None
    assert claimed.key == task_id
    for answer in (
        call(api, stale, "heartbeat", progress=0.5),
        upload(api, stale, b"late"),
        call(api, stale, "complete", result={"file_id": early}),
        call(api, stale, "fail", code="engine_unavailable", message="late"),
    ):
        refused(answer, "attempt_superseded")
    running = task(api, task_id)
    assert (running["status"], running["attempts"], running["result"]) == ("PROCESSING", 2, None)
    assert stored_keys(api, task_id) == []
