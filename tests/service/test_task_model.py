"""The unified task format, the state machine, and task records on SAQ jobs on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from faceswap.choices import TaskStatus, choices
from faceswap.config import ServiceSettings
from faceswap.errors import ConflictError, NotFoundError
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import PUBLIC_STATUS, TaskCreate, is_terminal, legacy_status

BODY: dict[str, Any] = {
    "workflow": "face_swap",
    "params": {"input_data": {"wf_json": {"source_url": "abc", "target_url": "def"}}},
}


def test_workflow_name_is_an_alias_of_workflow() -> None:
    body = {**BODY, "workflow_name": "face_enhance"}
    del body["workflow"]
    assert TaskCreate.model_validate(body).workflow == "face_enhance"


def test_face_swap_needs_a_source_and_several_sources_need_a_mapping() -> None:
    with pytest.raises(ValidationError, match="source_url"):
        TaskCreate.model_validate({**BODY, "params": {"input_data": {"wf_json": {"target_url": "x"}}}})
    wf = {"source_urls": ["a", "b"], "target_url": "t"}
    with pytest.raises(ValidationError, match="mapping"):
        TaskCreate.model_validate({**BODY, "params": {"input_data": {"wf_json": wf}}})
    with pytest.raises(ValidationError):  # other names are ComfyUI workflows, but never paths
        TaskCreate.model_validate({**BODY, "workflow": "../nope"})


def test_landmarker_and_detector_angles_are_checked_and_travel_to_a_remote_engine() -> None:
    from faceswap.engine_server.app import ProcessBody

    wf = {"source_url": "a", "target_url": "t", "landmarker": "2dfan4", "detector_angles": [0, 90, 270]}
    task = TaskCreate.model_validate({**BODY, "params": {"input_data": {"wf_json": wf}}})
    assert task.wf.landmarker == "2dfan4"
    assert task.wf.detector_angles == [0, 90, 270]
    # what the remote engine processor sends (processors/remote_engine.py) and the engine service reads
    sent = task.wf.model_dump(mode="json", exclude_none=True)
    assert (sent["landmarker"], sent["detector_angles"]) == ("2dfan4", [0, 90, 270])
    body = ProcessBody.model_validate(sent).model_dump(exclude={"return_base64"}, exclude_none=True)
    again = TaskCreate.model_validate({**BODY, "params": {"input_data": {"wf_json": body}}})
    assert (again.wf.landmarker, again.wf.detector_angles) == ("2dfan4", [0, 90, 270])
    for bad in ({"landmarker": "dlib"}, {"detector_angles": [45]}, {"detector_angles": []}):
        with pytest.raises(ValidationError):
            TaskCreate.model_validate({**BODY, "params": {"input_data": {"wf_json": {**wf, **bad}}}})


def test_one_state_machine_for_both_vocabularies() -> None:
    assert [legacy_status(s) for s in choices(TaskStatus)] == [  # type: ignore[arg-type]
        "pending",
        "processing",
        "completed",
        "failed",
        "cancelled",
    ]
    assert {s for s in choices(TaskStatus) if is_terminal(s)} == {"COMPLETED", "FAILED", "CANCELLED"}  # type: ignore[arg-type]
    assert set(PUBLIC_STATUS.values()) == set(choices(TaskStatus))


async def test_submit_get_list_cancel(any_queue: Any) -> None:
    client = TaskClient(any_queue, ServiceSettings())
    first = await client.submit(TaskCreate.model_validate(BODY))
    second = await client.submit(TaskCreate.model_validate({**BODY, "workflow": "face_enhance"}))
    assert first.status == "PENDING"
    assert (await client.get(first.task_id)).params["input_data"]["wf_json"]["target_url"] == "def"
    page = await client.list()
    assert [t.task_id for t in page.tasks] == [second.task_id, first.task_id]
    cancelled = await client.cancel(first.task_id)
    assert cancelled.status == "CANCELLED"
    assert [t.task_id for t in (await client.list("CANCELLED")).tasks] == [first.task_id]
    assert [t.task_id for t in (await client.list("PENDING")).tasks] == [second.task_id]
    assert (await client.list(limit=1, offset=1)).tasks[0].task_id == first.task_id
    with pytest.raises(ConflictError):
        await client.cancel(first.task_id)
    with pytest.raises(NotFoundError):
        await client.get("missing")


async def test_idempotency_key_returns_the_same_task(any_queue: Any) -> None:
    client = TaskClient(any_queue, ServiceSettings())
    one = await client.submit(TaskCreate.model_validate(BODY), idempotency_key="k-1")
    again = await client.submit(TaskCreate.model_validate(BODY), idempotency_key="k-1")
    assert again.task_id == one.task_id
    assert (await client.list()).total == 1
    other = {**BODY, "workflow": "face_enhance"}
    with pytest.raises(ConflictError, match="different request"):
        await client.submit(TaskCreate.model_validate(other), idempotency_key="k-1")
